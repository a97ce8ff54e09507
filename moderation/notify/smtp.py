"""Sending mail with the standard library: one SMTP connection for a batch of messages.

`smtp://user:pass@host:587` requires STARTTLS — except to a loopback host, where it is
used only if the server offers it (a local relay or the tests' server); `smtps://…:465` is
TLS from the first byte. Each message's outcome is reported, never raised: a refusal or a
dropped connection is an error the outbox retries.
"""

from __future__ import annotations

import functools
import ipaddress
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from urllib.parse import unquote, urlsplit

TIMEOUT = 30  # seconds for the connection and each command


@dataclass(frozen=True)
class Server:
    """Where and how to send: from MODERATION_SMTP_URL."""

    tls: bool  # smtps: TLS at once; else STARTTLS
    host: str
    port: int
    user: str | None
    password: str | None

    @property
    def loopback(self) -> bool:
        """True for a server on this host (STARTTLS is then used only when offered)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def server(url: str) -> Server:
    """The server an SMTP URL names (the settings checked its shape); user and password percent-decoded."""
    parts = urlsplit(url)
    tls = parts.scheme == "smtps"
    return Server(tls=tls, host=parts.hostname or "localhost", port=parts.port or (465 if tls else 587),
                  user=unquote(parts.username) if parts.username else None,
                  password=unquote(parts.password) if parts.password is not None else None)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The default TLS context (certificates checked), made once: loading the system's CA
    certificates took about 23 ms, paid again on every connection."""
    return ssl.create_default_context()


def connect(to: Server) -> smtplib.SMTP:
    """An open, authenticated connection; smtplib.SMTPException or OSError when there is none."""
    context = tls_context()
    if to.tls:
        connection: smtplib.SMTP = smtplib.SMTP_SSL(to.host, to.port, timeout=TIMEOUT, context=context)
    else:
        connection = smtplib.SMTP(to.host, to.port, timeout=TIMEOUT)
    try:
        connection.ehlo()
        if not to.tls and connection.has_extn("starttls"):
            connection.starttls(context=context)
            connection.ehlo()
        elif not to.tls and not to.loopback:
            raise smtplib.SMTPNotSupportedError(f"{to.host} does not offer STARTTLS; refusing to send in the clear")
        if to.user:
            connection.login(to.user, to.password or "")
    except BaseException:
        connection.close()
        raise
    return connection


def describe(error: BaseException) -> str:
    """An error as a delivery's last_error says it (the server's code and words, or the exception)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, said = next(iter(error.recipients.values()), (0, b""))
        return f"{code} {said.decode(errors='replace')}"
    if isinstance(error, smtplib.SMTPResponseException):
        raw: bytes | str = error.smtp_error
        return f"{error.smtp_code} {raw.decode(errors='replace') if isinstance(raw, bytes) else raw}"
    return f"{type(error).__name__}: {error}"


def send_all(to: Server, messages: Sequence[Message]) -> list[str | None]:
    """Send each message over one connection; per message None (accepted) or the error."""
    try:
        connection = connect(to)
    except (OSError, smtplib.SMTPException) as error:
        return [f"cannot connect to {to.host}:{to.port}: {describe(error)}"] * len(messages)
    results: list[str | None] = []
    try:
        for message in messages:
            try:
                connection.send_message(message)
                results.append(None)
            except smtplib.SMTPResponseException as error:  # a 4xx or 5xx for this message: the next may go
                results.append(describe(error))
            except smtplib.SMTPRecipientsRefused as error:
                results.append(describe(error))
            except OSError as error:  # disconnected, timed out (SMTPException is an OSError too)
                gone = f"connection lost: {describe(error)}"
                results += [gone] * (len(messages) - len(results))
                return results
    finally:
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()
    return results
