"""Keeps commenters' emails private: sealed with AES-GCM, looked up by keyed digest.

Every key is derived from the secret key with HKDF under its own label, so the digest
key cannot open an email and an avatar says nothing about the look-up digest (`Sealer`
seals other secrets, such as webhooks' signing secrets, under labels of their own). Sealed
emails carry the id of the key that sealed them, and look-ups try the digest under every
key still listed, so the secret key can rotate without lifting blocks or forgetting authors.
A reader who reports a comment is known only by a keyed digest of their client address.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from moderation.core.addresses import client_key
from moderation.core.avatars import AVATAR_DIGEST_LENGTH

NONCE_BYTES = 12


def _derive(secret: str, label: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label.encode()).derive(secret.encode())


class EmailVault:
    """Seals, opens and digests emails with keys derived from the secret key."""

    def __init__(self, secret_key: str, old_secret_keys: tuple[str, ...] = ()) -> None:
        self._sealing: dict[str, AESGCM] = {}
        for secret in (secret_key, *old_secret_keys):
            key = _derive(secret, "moderation email sealing v1")
            self._sealing.setdefault(hashlib.sha256(key).hexdigest()[:16], AESGCM(key))
        self.key_id = next(iter(self._sealing))
        self._digest_keys = tuple(dict.fromkeys(_derive(secret, "moderation email digest v1")
                                                for secret in (secret_key, *old_secret_keys)))
        self._avatar_key = _derive(secret_key, "moderation avatar v1")
        self._reader_key = _derive(secret_key, "moderation reader v1")

    def seal(self, email: str) -> tuple[bytes, str]:
        """Encrypt an email; return the sealed bytes (nonce first) and the key id."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._sealing[self.key_id].encrypt(nonce, email.encode(), self.key_id.encode())
        return nonce + sealed, self.key_id

    def open(self, sealed: bytes, key_id: str) -> str:
        """Decrypt an email sealed under the current or a retired key."""
        nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        return self._sealing[key_id].decrypt(nonce, ciphertext, key_id.encode()).decode()

    def open_or_none(self, sealed: bytes, key_id: str) -> str | None:
        """The email, or None when the key that sealed it is no longer configured (or it was altered)."""
        try:
            return self.open(sealed, key_id)
        except (KeyError, InvalidTag, ValueError):
            return None

    def digest(self, email: str) -> str:
        """The keyed look-up digest of an email (case-insensitive), under the current key."""
        return self.digests(email)[0]

    def digests(self, email: str) -> tuple[str, ...]:
        """The email's look-up digest under the current key, then under each retired one."""
        text = email.casefold().encode()
        return tuple(hmac.new(key, text, hashlib.sha256).hexdigest() for key in self._digest_keys)

    def avatar(self, email: str, commenter_key_hash: str) -> str:
        """The avatar id of an author: keyed, short, unrelated to the look-up digest.

        It is drawn from the email *and* the commenter key, so typing someone else's address
        draws a different picture from theirs: an avatar proves nothing about an email.
        """
        mac = hmac.new(self._avatar_key, f"{email.casefold()}\n{commenter_key_hash}".encode(), hashlib.sha256)
        return mac.hexdigest()[:AVATAR_DIGEST_LENGTH]

    def reader(self, address: str | None) -> str:
        """Who reports a comment: a keyed digest of the client's rate-limit key (an IPv6 /64 is one
        reader), under the current key only; never the address itself, and no way back to it."""
        return hmac.new(self._reader_key, client_key(address).encode(), hashlib.sha256).hexdigest()


class Sealer:
    """Seals and opens small secrets (webhook signing secrets…) under a label of their own.

    The same shape as the email vault's sealing, with a different HKDF label, so a key that
    opens one kind of secret opens no other; retired secret keys still open what they sealed.
    """

    def __init__(self, label: str, secret_key: str, old_secret_keys: tuple[str, ...] = ()) -> None:
        self._keys: dict[str, AESGCM] = {}
        for secret in (secret_key, *old_secret_keys):
            key = _derive(secret, label)
            self._keys.setdefault(hashlib.sha256(key).hexdigest()[:16], AESGCM(key))
        self.key_id = next(iter(self._keys))

    def seal(self, plain: str) -> tuple[bytes, str]:
        """Encrypt plain; the sealed bytes (nonce first) and the id of the key that sealed them."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._keys[self.key_id].encrypt(nonce, plain.encode(), self.key_id.encode()), self.key_id

    def open(self, sealed: bytes, key_id: str) -> str | None:
        """What was sealed; None when its key is no longer configured or the bytes were altered."""
        try:
            return self._keys[key_id].decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], key_id.encode()).decode()
        except (KeyError, InvalidTag, ValueError):
            return None
