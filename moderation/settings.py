"""Every MODERATION_* setting: its name, default and help, and how it is loaded.

The table below is the single source of truth: the loader, the README and a test
that checks the README documents each setting all read from it.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from flask import Flask
from limits.storage import SCHEMES


class SettingsError(ValueError):
    """A MODERATION_* setting holds a value the service cannot use."""


@dataclass(frozen=True)
class Setting:
    """One configurable value: its name without the prefix, default and help."""

    name: str
    default: Any
    help: str
    coerce: Callable[[Any], Any] = str


def _origins(value: Any) -> tuple[str, ...]:
    """Parse a comma-separated list of origins into normalized scheme://host[:port]."""
    origins = []
    for raw in str(value or "").split(","):
        origin = raw.strip().rstrip("/")
        if not origin:
            continue
        if not re.fullmatch(r"https?://[^/\s?#]+", origin):
            raise SettingsError(f"MODERATION_ALLOWED_ORIGINS: {origin!r} is not an origin like https://example.org")
        origins.append(origin.lower())
    return tuple(origins)


def _rate(value: Any) -> str:
    """Accept '5/minute'-style limits, or 0 to turn per-client limits off."""
    text = str(value).strip()
    if text in ("0", ""):
        return ""
    if not re.fullmatch(r"\d+\s*(/|per)\s*\d*\s*(second|minute|hour|day)s?(\s*;\s*\d+\s*(/|per)\s*\d*\s*(second|minute|hour|day)s?)*", text):
        raise SettingsError(f"{text!r} is not a limit like 5/minute (or 0 for none)")
    return text


def _counter_storage(value: Any) -> str:
    """Empty (the database), or the URL of a storage every worker and instance shares, served
    synchronously: an async one or a per-process `memory://` would break the limits' promise."""
    text = str(value or "").strip()
    scheme = text.partition("://")[0]
    if text and (scheme not in SCHEMES or scheme.startswith("async+") or scheme == "memory"):
        raise SettingsError(f"{text!r} is not a shared counter storage like redis://host:6379/0 "
                            "(leave it empty to count in the database)")
    return text


def _non_negative_int(value: Any) -> int:
    """Coerce to an int that is zero or more."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SettingsError(f"expected a whole number, got {value!r}") from None
    if number < 0:
        raise SettingsError(f"expected zero or more, got {number}")
    return number


def _choice(*choices: str) -> Callable[[Any], str]:
    """Coerce to one of the given words."""

    def coerce(value: Any) -> str:
        text = str(value).strip().lower()
        if text not in choices:
            raise SettingsError(f"expected one of {', '.join(choices)}, got {value!r}")
        return text

    return coerce


def _seconds(value: Any) -> float:
    """Coerce to a number of seconds, zero or more."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"expected a number of seconds, got {value!r}") from None
    if not 0 <= number <= 3600:
        raise SettingsError(f"expected 0 to 3600 seconds, got {number}")
    return number


def _http_url(value: Any) -> str:
    """Empty, or an http(s) URL."""
    text = str(value or "").strip()
    if text and not re.fullmatch(r"https?://\S+", text):
        raise SettingsError(f"{text!r} is not an http(s) URL")
    return text


def _smtp_url(value: Any) -> str:
    """Empty, or an smtp:// or smtps:// URL with a host."""
    text = str(value or "").strip()
    if text and not re.fullmatch(r"smtps?://([^@/\s]+@)?[^@/:\s]+(:\d{1,5})?/?", text):
        raise SettingsError(f"{text.split('@')[-1]!r} is not an SMTP URL like smtp://user:pass@host:587")
    return text


def _positive_int(value: Any) -> int:
    """Coerce to an int that is one or more."""
    number = _non_negative_int(value)
    if number < 1:
        raise SettingsError(f"expected one or more, got {number}")
    return number


def _flag(value: Any) -> bool:
    """Coerce true/false, yes/no, on/off or 1/0 to a bool."""
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"expected true or false, got {value!r}")


def _keys(value: Any) -> tuple[str, ...]:
    """Parse a comma-separated list of retired secret keys."""
    return tuple(key.strip() for key in str(value or "").split(",") if key.strip())


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", "", "SQLAlchemy URL of the database. Default: a SQLite file "
            "`moderation.sqlite3` in the instance folder. PostgreSQL: `postgresql+psycopg://user@host/db`."),
    Setting("SECRET_KEY", "", "Signs sessions and tokens and derives the keys that encrypt and digest "
            "emails. Required when the database is not SQLite (every instance must share it); on SQLite "
            "generated and kept in `instance/secret_key` (mode 0600) when unset."),
    Setting("OLD_SECRET_KEYS", "", "Comma-separated retired secret keys, still used to decrypt emails "
            "stored under them, so the secret key can rotate.", _keys),
    Setting("DATABASE_POOL_SIZE", 20, "Most database connections one worker process opens; a request "
            "holds one at a time. With more gunicorn `--threads` than this, requests queue for a connection, "
            "and one that finds none free within 10 s gets `503` with `Retry-After`.", _positive_int),
    Setting("PAGE_CACHE_BYTES", 8 * 1024 * 1024, "Memory each worker process may spend keeping rendered "
            "public pages of comments (least recently used dropped first). `0` keeps none.", _non_negative_int),
    Setting("ALLOWED_ORIGINS", "", "Comma-separated origins (`https://blog.example`) allowed to call the "
            "public API from a browser and to be redirected to after the plain form.", _origins),
    Setting("RATELIMIT", "5/minute", "Submissions allowed per client address, like `5/minute` "
            "(several joined with `;`). `0` turns off every per-client limit on submissions.", _rate),
    Setting("RATELIMIT_STORAGE", "", "Where rate-limit counters live. Default: the database, shared by "
            "every worker and instance. A `redis://host:6379/0` URL keeps them in Redis instead.", _counter_storage),
    Setting("TRUSTED_PROXIES", 0, "How many reverse proxies in front of the service to trust for the "
            "client address (`X-Forwarded-For`). `0`: the socket peer is the client.", _non_negative_int),
    Setting("MAX_REQUEST_BYTES", 65536, "Largest request body accepted; larger ones get `413 too_large`.",
            _non_negative_int),
    Setting("FLOOD_SECONDS", 15, "Least time between two accepted submissions from one client address "
            "(`429` with `Retry-After` otherwise). `0` turns it off; so does `MODERATION_RATELIMIT=0`.",
            _non_negative_int),
    Setting("REPORT_RATELIMIT", "10/hour", "Readers' reports of comments allowed per client address, like "
            "`10/hour` (several joined with `;`), counted where submissions are. `0` turns it off; so does "
            "`MODERATION_RATELIMIT=0`.", _rate),
    Setting("REPORT_THRESHOLD", 3, "When this many readers' reports of a published comment are open (not "
            "dismissed), it goes back to the queue, held, until a moderator decides. `0`: reports never hold "
            "a comment on their own.", _non_negative_int),
    Setting("PREMODERATION", "all", "Which comments wait for a moderator: `all`, `first-time` (returning "
            "authors who prove it with their commenter key are approved at once) or `none`. "
            "Articles may override it.", _choice("all", "first-time", "none")),
    Setting("LINK_LIMIT", 2, "Hold a comment with this many links or more (as WordPress). `0` turns it off.",
            _non_negative_int),
    Setting("MIN_FORM_SECONDS", 3, "A comment sent sooner than this after its form was shown (signed "
            "form token) is held for a moderator (never marked spam: timing alone proves nothing).", _seconds),
    Setting("CLOSE_AFTER_DAYS", 0, "Close articles to new comments this many days after their first "
            "approved comment. `0`: never.", _non_negative_int),
    Setting("SPAM_CHECK_URL", "", "An Akismet-style `comment-check` URL to ask about each comment that "
            "would not already be spam. Off when empty. Emails are never sent to it.", _http_url),
    Setting("SPAM_CHECK_TIMEOUT", 2, "Seconds to wait for the spam check; when it fails or times out "
            "the comment is held, never lost or approved.", _seconds),
    Setting("PURGE_PENDING_DAYS", 30, "The retention purge deletes pending comments older than this. "
            "`0`: never.", _non_negative_int),
    Setting("PURGE_SPAM_DAYS", 30, "The retention purge deletes spam older than this. `0`: never.",
            _non_negative_int),
    Setting("IP_RETENTION_DAYS", 30, "The retention purge cuts IP addresses older than this down to "
            "their network (/24 for IPv4, /48 for IPv6). `0`: never.", _non_negative_int),
    Setting("PURGE_EVERY_MINUTES", 60, "How often the service runs the retention purge on its own (once "
            "across every worker and instance sharing the database). `0` turns that off; "
            "`flask --app app purge` runs it by hand or from cron either way.", _non_negative_int),
    Setting("LANGUAGE", "en", "The language of readers' pages and emails when neither the page's `lang` nor the "
            "reader's browser names a shipped one (`en`, `ar`, `de`, `es`; see *Languages*)."),
    # Telling people: mail, links, webhooks (the outbox worker, `flask --app app worker`).
    Setting("DEMO", True, "`false` turns the demo blog at `/demo/` off (a 404), as a production site wants; "
            "`make run` seeds it with a short conversation the first time while it is on.", _flag),
    Setting("SMTP_URL", "", "Where to send mail: `smtp://user:pass@host:587` (STARTTLS) or "
            "`smtps://user:pass@host:465` (TLS). Empty: no email is ever queued.", _smtp_url),
    Setting("MAIL_FROM", "", "The From address of the service's mail, like `Comments <comments@news.example>`; "
            "required with MODERATION_SMTP_URL."),
    Setting("PUBLIC_URL", "", "The service's public address (`https://comments.news.example`), for the links "
            "in its mail and the feeds' ids and links; required with MODERATION_SMTP_URL.", _http_url),
    Setting("LINK_DAYS", 7, "Days a one-click moderation link in a moderator's email keeps working (once).",
            _positive_int),
    Setting("DIGEST_MINUTES", 60, "How often a moderator who chose a digest gets one (when comments wait).",
            _positive_int),
    Setting("WEBHOOKS_ALLOW_PRIVATE", False, "`true` lets webhooks go to private, loopback and link-local "
            "addresses (a receiver on the same host or network). Off, such endpoints are refused, at delivery "
            "time too.", _flag),
    # The moderators' web queue (/moderate/).
    Setting("LOGIN_RATELIMIT", "5/minute;20/hour", "Unsuccessful moderator log-ins allowed per client "
            "address, like `5/minute;20/hour`; the same limit per name binds only addresses with recent failures, "
            "and each (name, address) waits 1, 2, 4 … s after repeated failures. `0` turns all of it off.", _rate),
    Setting("SESSION_IDLE_MINUTES", 120, "A moderator's session ends after this many minutes without a "
            "request.", _positive_int),
    Setting("SESSION_MAX_HOURS", 12, "A moderator's session ends this many hours after log-in, however "
            "active.", _positive_int),
    Setting("SESSION_COOKIE_SECURE", False, "`true` marks the session cookie Secure on every response. "
            "Otherwise it is Secure whenever the request came over https (directly, or as a trusted proxy's "
            "`X-Forwarded-Proto` says).", _flag),
)


def load_settings(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    """Read MODERATION_* from the environment (plus overrides), coerce and validate each."""
    for setting in SETTINGS:
        if app.config.get(setting.name) is None:  # Flask presets SECRET_KEY to None
            app.config[setting.name] = setting.default
    app.config.from_prefixed_env("MODERATION")
    if overrides:
        app.config.update(overrides)
    for setting in SETTINGS:
        try:
            app.config[setting.name] = setting.coerce(app.config[setting.name])
        except SettingsError as error:
            raise SettingsError(f"MODERATION_{setting.name}: {error}") from None
    url = app.config["DATABASE_URL"]
    if not app.config["SECRET_KEY"] and url and not url.startswith("sqlite"):
        raise SettingsError("MODERATION_SECRET_KEY must be set when the database is not SQLite: every "
                            "instance sharing the database needs the same key (a generated one would differ)")
    if app.config["SMTP_URL"] and not (app.config["MAIL_FROM"] and app.config["PUBLIC_URL"]):
        raise SettingsError("MODERATION_SMTP_URL needs MODERATION_MAIL_FROM (the From address) and "
                            "MODERATION_PUBLIC_URL (for the links in the mail)")
    if not app.config["DATABASE_URL"]:
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "moderation.sqlite3")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_REQUEST_BYTES"] or None


def _instance_secret(path: Path) -> str:
    """Return the secret kept at path, creating it with mode 0600 on first use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Write aside, then link into place: workers starting together agree on one key.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    return path.read_text().strip()
