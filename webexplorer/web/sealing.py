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
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, json.dumps(payload, separators=(",", ":")).encode(), self._purpose)
        return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open(self, value: str) -> dict[str, Any] | None:
        """The payload, or None when ``value`` was not sealed with this key for this purpose, or changed."""
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            payload = json.loads(self._aead.decrypt(raw[:12], raw[12:], self._purpose))
        except (binascii.Error, ValueError, InvalidTag):
            return None
        return payload if isinstance(payload, dict) else None
