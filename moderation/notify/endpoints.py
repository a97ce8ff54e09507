"""Reaching a webhook endpoint safely: resolve its host once, check every address, connect to those.

The addresses are checked (`core.webhooks.refusal`) and then the very same addresses are
connected to, with the URL's host in the Host header and in TLS (SNI and the certificate
check): a name that resolves to a public address for the check and to 127.0.0.1 a moment
later (DNS rebinding) never reaches the second. No proxy from the environment is used,
no redirect is followed, and no more than a small part of a response body is read.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from moderation.core.addresses import client_ip
from moderation.core.webhooks import refusal

TIMEOUT = 5.0  # seconds for the connection, and for each read of the answer
BODY_CAP = 1024  # bytes of an answer read at most (it is not used; reading a little lets the connection close cleanly)


class Refused(Exception):
    """The endpoint's host resolves to an address webhooks may not go to (private, loopback…)."""


class Unresolvable(Exception):
    """The endpoint's host does not resolve (now)."""


@dataclass(frozen=True)
class Target:
    """Where a URL points, checked: its scheme, host, port, request path and addresses to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def resolve(url: str, allow_private: bool) -> Target:
    """Resolve a URL's host once and check every address: Refused naming why, Unresolvable."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as error:
        raise Unresolvable(f"{host} does not resolve ({error})") from None
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in found))
    for address in addresses:
        ip = client_ip(address.split("%")[0])
        why = "not an IP address" if ip is None else refusal(ip)
        if why and not allow_private:
            raise Refused(f"{host} resolves to {address}, {why}; webhooks may go only to public addresses "
                          "(MODERATION_WEBHOOKS_ALLOW_PRIVATE=true allows others)")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, addresses)


def _connect(addresses: Sequence[str], port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to the first of the checked addresses that answers."""
    last: OSError = OSError("no address to connect to")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as error:
            last = error
    raise last


class _Pinned(http.client.HTTPConnection):
    """Plain HTTP to the checked addresses only; the Host header still names the URL's host."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.addresses = target.addresses

    def connect(self) -> None:
        """Connect to a checked address, never to a new resolution of the host."""
        self.sock = _connect(self.addresses, self.port, self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    """HTTPS to the checked addresses only, with SNI and the certificate checked for the URL's host."""

    def __init__(self, target: Target, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self.tls)
        self.addresses = target.addresses

    def connect(self) -> None:
        """Connect to a checked address, then speak TLS to it as the URL's host."""
        raw = _connect(self.addresses, self.port, self.timeout)
        try:
            self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


def post(target: Target, headers: Mapping[str, str], body: bytes, timeout: float = TIMEOUT) -> int:
    """POST body to a checked target; the answer's status (a redirect is returned, not followed).

    Raises OSError (refused, timed out, TLS) or http.client.HTTPException (a garbled answer).
    """
    connection = (_PinnedTLS if target.scheme == "https" else _Pinned)(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=dict(headers))
        response = connection.getresponse()
        response.read(BODY_CAP)
        return response.status
    finally:
        connection.close()
