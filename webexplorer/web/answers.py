"""Answer bodies the page may need again after the send: for download, and for the views rendered
only when their tab is opened (YAML, *Explain this object*).

:class:`AnswerStore` keeps full bodies for download, since the page shows only the first part of a huge
one: in memory, per process, least recently used first out under a byte budget; each body is bound to
the session that asked for it, so an id seen in someone else's screenshot downloads nothing.

:class:`AnswerSeals` carries a body to the later views *in the page* instead: compressed, sealed with
the operator's key (:mod:`.sealing`) and bound to the session, with an expiry. A view is rendered from
that, never by sending the request to the API server again, and any replica given the same secret key
can render it — nothing a visitor needs lives in one replica's memory.
"""

from __future__ import annotations

import secrets
import struct
import time
import zlib
from dataclasses import dataclass

from webexplorer.lru import LRU
from webexplorer.web.sealing import Sealer

#: how long a page can still open its later views (after that: send again)
SEAL_LIFETIME = 3600.0
_EXPIRY = struct.Struct(">d")


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    session: str
    body: bytes
    content_type: str
    filename: str


def _size(answer: StoredAnswer) -> int:
    return len(answer.body)


class AnswerStore:
    def __init__(self, budget_bytes: int = 64 << 20, max_entries: int = 256) -> None:
        self.budget_bytes = budget_bytes
        self.max_entries = max_entries
        self._items: LRU[str, StoredAnswer] = LRU(max_entries, max_weight=budget_bytes, weigh=_size)

    def put(self, answer: StoredAnswer) -> str:
        key = secrets.token_urlsafe(16)
        self._items.put(key, answer)
        return key

    def get(self, key: str, session: str) -> StoredAnswer | None:
        found = self._items.peek(key)
        if found is None or found.session != session:
            return None
        return self._items.get(key)


class AnswerSeals:
    """Seals an answer's body for its later views, and opens it again for the same session only."""

    def __init__(self, secret_key: str | None, lifetime: float = SEAL_LIFETIME) -> None:
        self._sealer = Sealer(secret_key, "try-it answer v1")
        self.lifetime = lifetime

    def seal(self, session: str, body: bytes) -> str:
        # level 1: JSON shrinks several times over at a small cost, which keeps the page small
        data = zlib.compress(_EXPIRY.pack(time.time() + self.lifetime) + body, 1)
        return self._sealer.seal_bytes(data, bound_to=session)

    def open(self, value: str, session: str) -> bytes | None:
        """The body, or None when ``value`` is not an answer sealed for this session, or has expired."""
        data = self._sealer.open_bytes(value, bound_to=session)
        if data is None:
            return None
        data = zlib.decompress(data)  # authenticated: only what this explorer sealed gets here
        (expires,) = _EXPIRY.unpack_from(data)
        return data[_EXPIRY.size :] if expires > time.time() else None
