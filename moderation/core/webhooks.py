"""PURE: webhooks — what an endpoint and its events may be, their secrets, signatures, addresses.

Signing follows the Standard Webhooks specification: a `whsec_<base64>` secret, and
`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` keyed with the secret's bytes.
`refusal` says why an address may not receive a webhook (SSRF): anything not public.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from moderation.core.addresses import IPAddress
from moderation.core.events import EVENTS
from moderation.errors import ValidationFailed

URL_MAX = 2000
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the specification asks for 24 to 64


def check_url(url: str) -> str | None:
    """What is wrong with an endpoint URL (None when it is a usable http(s) URL)."""
    if not url:
        return "is required"
    if len(url) > URL_MAX:
        return f"must be at most {URL_MAX} characters"
    if any(ch.isspace() or ord(ch) < 0x20 or ch in '<>"' for ch in url):
        return "may not hold spaces, control characters, quotes or < >"
    if not url.isascii():
        return "must be ASCII: percent-encode other characters, and write a host name in its xn-- form"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port out of range
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute http:// or https:// URL"
    if parts.username is not None or parts.password is not None:
        return "may not hold a user name or password"
    return None


def parse_events(raw: str | Iterable[str] | None) -> tuple[tuple[str, ...], str | None]:
    """The events asked for (comma-separated or a list; every one when None), in EVENTS order,
    and what is wrong with them (None when each is known)."""
    if raw is None:
        return EVENTS, None
    names = raw.split(",") if isinstance(raw, str) else list(raw)
    wanted = {name.strip() for name in names if name.strip()}
    unknown = sorted(wanted - set(EVENTS))
    if unknown or not wanted:
        return (), f"{'unknown event ' + ', '.join(unknown) if unknown else 'none chosen'}; choose from " \
                   f"{', '.join(EVENTS)}"
    return tuple(event for event in EVENTS if event in wanted), None


def check_webhook(url: str, events: str | Iterable[str] | None) -> tuple[str, tuple[str, ...]]:
    """A new webhook's URL and events, checked; ValidationFailed naming every bad field."""
    url = url.strip()
    chosen, events_error = parse_events(events)
    errors = {field: text for field, text in (("url", check_url(url)), ("events", events_error)) if text}
    if errors:
        raise ValidationFailed(errors, "The webhook was not added.")
    return url, chosen


def new_secret() -> str:
    """A new signing secret in the specification's form, whsec_ and base64 of random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The bytes a whsec_ secret stands for: the HMAC key."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def body_of(payload: dict[str, Any]) -> bytes:
    """A payload as it is sent and signed: compact JSON in UTF-8."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header: v1, and the base64 HMAC-SHA256 of "{id}.{timestamp}.{body}"."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret_key(secret), signed, hashlib.sha256).digest()).decode()


def _embedded(ip: IPAddress) -> IPAddress | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if it carries one."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped or ip.sixtofour:
            return ip.ipv4_mapped or ip.sixtofour
        if ip.teredo:
            return ip.teredo[1]
        if ip in ipaddress.IPv6Network("64:ff9b::/96"):
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal(ip: IPAddress) -> str | None:
    """Why a webhook may not go to this address ("a private address"…); None for a public one."""
    inner = _embedded(ip)
    if inner is not None:
        return refusal(inner)
    for kind, test in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                       ("multicast", ip.is_multicast), ("unspecified", ip.is_unspecified),
                       ("reserved", ip.is_reserved), ("private", ip.is_private), ("non-public", not ip.is_global)):
        if test:
            return f"a {kind} address"
    return None
