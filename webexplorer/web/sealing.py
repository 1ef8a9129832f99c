"""Small values the explorer hands to a browser and must get back unchanged: sealed, not stored.

AES-256-GCM with a key derived (HKDF) from the operator's ``secret_key`` and the value's purpose, so a
sign-in cookie can never be replayed as a watch ticket or the other way round, and any replica that
shares the key (the ``replicas`` overlay mounts one Secret into all of them) can open what another
sealed. Nothing is kept server-side, which is what lets a visitor move between replicas.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class Sealer:
    """Seals a JSON object into a URL- and cookie-safe string and opens it again."""

    def __init__(self, secret_key: str | None, purpose: str) -> None:
        material = secret_key.encode() if secret_key else secrets.token_bytes(32)
        self._purpose = purpose.encode()
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"webexplorer " + self._purpose)
        self._aead = AESGCM(key.derive(material))

    def seal(self, payload: dict[str, Any]) -> str:
        return self.seal_bytes(json.dumps(payload, separators=(",", ":")).encode())

    def open(self, value: str) -> dict[str, Any] | None:
        """The payload, or None when ``value`` was not sealed with this key for this purpose, or changed."""
        raw = self.open_bytes(value)
        if raw is None:
            return None
        try:
            payload = json.loads(raw)
        except ValueError:
            return None
        return payload if isinstance(payload, dict) else None

    def seal_bytes(self, data: bytes, bound_to: str = "") -> str:
        """Seal raw bytes (no JSON round trip for a large value). ``bound_to`` (a session id) is
        authenticated but not stored: the value opens only when the same one is given again."""
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, data, self._associated(bound_to))
        return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open_bytes(self, value: str, bound_to: str = "") -> bytes | None:
        """The bytes, or None when ``value`` was not sealed with this key, purpose and ``bound_to``."""
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            return self._aead.decrypt(raw[:12], raw[12:], self._associated(bound_to))
        except (binascii.Error, ValueError, InvalidTag):
            return None

    def _associated(self, bound_to: str) -> bytes:
        return self._purpose + b"\0" + bound_to.encode() if bound_to else self._purpose
