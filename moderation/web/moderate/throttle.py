"""The moderators' log-in throttle: slows password guessing without locking the owner out.

Each attempt is counted in the limiter's storage (the database or Redis) *before* its
password is checked, by increments that return the new count, so simultaneous attempts
cannot all slip through and a refused attempt never costs a slow hash. The rules are the
pure functions at the top; `LoginThrottle` applies them to a `limits` storage.

Three counts, all under `LOGIN_RATELIMIT` (like `5/minute;20/hour`; empty: none at all):
- per **address**: its unsuccessful attempts across every name (and wrong current
  passwords on the password page); over the limit, the address is refused;
- per **(name, address) pair**: after its k-th consecutive failure the pair waits
  `wait_after(k)` seconds (the first failure is free, then 1, 2, 4 … s, capped);
- per **name**: its unsuccessful attempts from every address. It binds only an address
  whose windows hold other attempts (recent failures or refusals, or one in flight): the
  owner on an address with no recent failures is never refused for the name, however
  many addresses are guessing at it.
A successful log-in takes its own counts back (see `refundable`) and ends the pair's streak.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from limits import RateLimitItem, parse_many
from limits.storage import Storage

PREFIX = "moderation/login"
MAX_DELAY = 600  # seconds: the longest a pair is ever told to wait between two attempts
FREE_FAILURES = 1  # a typo put right at once is not told to wait
STREAK_SECONDS = 24 * 3600  # a pair's consecutive failures are forgotten a day after the first
REFUND_MARGIN = 1.0  # seconds: Redis reports a window's end only to the second


# --- The rules (pure) ---

def wait_after(failures: int, cap: int = MAX_DELAY) -> int:
    """Seconds a (name, address) pair waits after its `failures`-th consecutive failure."""
    if failures <= FREE_FAILURES:
        return 0
    delay: int = 2 ** min(failures - FREE_FAILURES - 1, 32)  # int ** int is typed Any: a negative power is a float
    return min(cap, delay)


def retry_after(expiry: float, now: float) -> int:
    """Whole seconds from now until expiry, at least 1: a refusal's Retry-After."""
    return max(1, math.ceil(expiry - now))


def refundable(expiry: float, counted_at: float, window: int, now: float) -> bool:
    """True when the window a count went into is still the live one and not about to end.

    Taking a count back from a later window would hand its next attempt a free guess (and
    one per success in flight when the window turns), so a success refunds only into the
    window it was counted in, and leaves a window that is about to end as it is.
    """
    return now + REFUND_MARGIN < expiry <= counted_at + window + REFUND_MARGIN


def name_key(name: str) -> str:
    """A log-in name as the throttle counts it: stripped and casefolded."""
    return name.strip().casefold()


def digest(secret: bytes, *parts: str) -> str:
    """A keyed 32-character digest of parts: keys fit any storage, and hold no name or address."""
    data = "".join(f"{len(part)}:{part}" for part in parts).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, key=secret, digest_size=16).hexdigest()


def throttle_secret(secret_key: str) -> bytes:
    """The digest key, derived from the app's secret key."""
    return hashlib.sha256(b"moderation login throttle\0" + secret_key.encode()).digest()


@functools.lru_cache(maxsize=16)
def parse_limits(text: str) -> tuple[RateLimitItem, ...]:
    """The windows of a limit like `5/minute;20/hour`, shortest first; none for '' or '0'."""
    if not text or text.strip() == "0":
        return ()
    return tuple(sorted(parse_many(text), key=lambda item: item.get_expiry()))


def in_words(seconds: int) -> str:
    """A wait as a person reads it: '1 second', '40 seconds', '3 minutes'."""
    if seconds <= 90:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


# --- The throttle (on a `limits` storage) ---

@dataclass
class Count:
    """One increment an attempt made: where, in which window length, and when."""

    key: str
    window: int
    at: float


@dataclass
class Attempt:
    """What admitting an attempt counted, so that settling it can take back or add to it."""

    counts: list[Count] = field(default_factory=list)
    pair: str = ""  # the (name, address) digest; empty when no pair is followed
    failures: int = 0  # the pair's consecutive failures before this attempt


class TooMany(Exception):
    """An attempt refused before its password was checked: retry after `wait` seconds."""

    def __init__(self, wait: int, scope: str) -> None:
        super().__init__(f"refused by the {scope} limit; retry after {wait} s")
        self.wait, self.scope = wait, scope


class LoginThrottle:
    """Admits or refuses attempts before the password check, and settles them after it."""

    def __init__(self, storage: Storage, secret: bytes, clock: Callable[[], float] = time.time,
                 max_delay: int = MAX_DELAY) -> None:
        self.storage, self.secret, self.clock, self.max_delay = storage, secret, clock, max_delay

    def admit_log_in(self, limits: tuple[RateLimitItem, ...], address: str, name: str) -> Attempt:
        """Count a log-in attempt by address, pair and name, or raise TooMany."""
        attempt = Attempt()
        if not limits:
            return attempt
        alone = self._count(attempt, limits, "address", digest(self.secret, address), enforce=True)
        attempt.pair = digest(self.secret, name_key(name), address)
        self._take_turn(attempt)
        # The name's limit binds only an address with other attempts in its windows.
        self._count(attempt, limits, "name", digest(self.secret, name_key(name)), enforce=not alone)
        return attempt

    def admit_check(self, limits: tuple[RateLimitItem, ...], address: str) -> Attempt:
        """Count a password check by address alone (the password page), or raise TooMany."""
        attempt = Attempt()
        if limits:
            self._count(attempt, limits, "address", digest(self.secret, address), enforce=True)
        return attempt

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: take back this attempt's counts and end the pair's streak."""
        for count in attempt.counts:
            if refundable(self.storage.get_expiry(count.key), count.at, count.window, self.clock()):
                self.storage.incr(count.key, count.window, amount=-1)
        if attempt.failures:
            self.storage.clear(self._key("streak", attempt.pair))
            self.storage.clear(self._key("gate", attempt.pair))

    def failed(self, attempt: Attempt) -> None:
        """The password was wrong: the counts stand, and the pair's streak grows by one."""
        if attempt.pair:
            self.storage.incr(self._key("streak", attempt.pair), STREAK_SECONDS)

    def _count(self, attempt: Attempt, limits: tuple[RateLimitItem, ...], scope: str, ident: str,
               enforce: bool) -> bool:
        """Count one in each window (shortest first); True when each then holds this attempt alone."""
        alone = True
        for item in limits:
            key = item.key_for(PREFIX, scope, ident)
            count = self.storage.incr(key, item.get_expiry())  # increments, then we compare
            attempt.counts.append(Count(key, item.get_expiry(), self.clock()))
            if enforce and count > item.amount:
                # Stop here: the longer windows after this one are not charged for a refusal.
                raise TooMany(retry_after(self.storage.get_expiry(key), self.clock()), scope)
            alone = alone and count == 1
        return alone

    def _take_turn(self, attempt: Attempt) -> None:
        """Let a pair with failures through once per wait: its gate is a window claimed by incrementing.

        The attempt after k failures opens a window of wait_after(k + 1) seconds; only the
        increment that opened it gets 1, so one attempt goes on and any other made before
        the window ends (simultaneous ones included) is refused. Should this attempt fail,
        the window it opened is the wait its failure earns, counted from its start.
        """
        attempt.failures = self.storage.get(self._key("streak", attempt.pair))
        hold = wait_after(attempt.failures + 1, self.max_delay)
        gate = self._key("gate", attempt.pair)
        if hold and self.storage.incr(gate, hold) > 1:
            raise TooMany(retry_after(self.storage.get_expiry(gate), self.clock()), "pair")

    @staticmethod
    def _key(kind: str, pair: str) -> str:
        return f"{PREFIX}/{kind}/{pair}"
