"""Full answer bodies kept for download, since the page shows only the first part of a huge one.

In memory, per process, least recently used first out under a byte budget; each body is bound to the
session that asked for it, so an id seen in someone else's screenshot downloads nothing.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    session: str
    body: bytes
    content_type: str
    filename: str


class AnswerStore:
    def __init__(self, budget_bytes: int = 64 << 20, max_entries: int = 256) -> None:
        self.budget_bytes = budget_bytes
        self.max_entries = max_entries
        self._items: OrderedDict[str, StoredAnswer] = OrderedDict()
        self._bytes = 0

    def put(self, answer: StoredAnswer) -> str:
        key = secrets.token_urlsafe(16)
        self._items[key] = answer
        self._bytes += len(answer.body)
        while (self._bytes > self.budget_bytes or len(self._items) > self.max_entries) and len(
            self._items
        ) > 1:
            _, old = self._items.popitem(last=False)
            self._bytes -= len(old.body)
        return key

    def get(self, key: str, session: str) -> StoredAnswer | None:
        found = self._items.get(key)
        if found is None or found.session != session:
            return None
        self._items.move_to_end(key)
        return found
