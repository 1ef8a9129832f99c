"""What a write would change, as the API server computes it: the live object against a dry run's answer.

The server's dry-run answer is the object as it would be stored — defaulting, mutating webhooks and
admission included — so the diff is the server's, not a client-side guess. Both sides are cleaned the
way ``kubectl diff`` cleans them: ``metadata.managedFields``, ``resourceVersion``, ``generation`` and
``creationTimestamp`` move on every write (or are only set on a real one), so they are noise here, and
so is ``status`` unless the write is to the ``/status`` subresource. The
rest is a unified diff of the two YAML texts, typed per line for colouring.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .bodies import dump_yaml

#: metadata fields every write moves (or that only a stored write sets): left out of both sides
NOISE = ("managedFields", "resourceVersion", "generation", "creationTimestamp")
CONTEXT_LINES = 3
MAX_DIFF_LINES = 2000

LineKind = Literal["add", "del", "ctx", "hunk", "head"]


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: LineKind
    text: str


@dataclass(frozen=True, slots=True)
class Preview:
    """The diff of one previewed write. ``lines`` is empty when nothing would change."""

    lines: tuple[DiffLine, ...]
    added: int
    removed: int
    #: the object does not exist yet: every line is new (a create)
    new_object: bool = False
    truncated: bool = False

    @property
    def unchanged(self) -> bool:
        return not self.lines


def clean(obj: Mapping[str, Any], *, keep_status: bool = False) -> dict[str, Any]:
    """``obj`` without the metadata every write moves, and without ``status`` unless the write is to
    ``/status``: a write to the object itself leaves status alone, and the controllers that do change it
    would only show up as noise between the dry run and the read of the live object."""
    out = {k: v for k, v in obj.items() if keep_status or k != "status"}
    meta = out.get("metadata")
    if isinstance(meta, Mapping):
        out["metadata"] = {k: v for k, v in meta.items() if k not in NOISE}
    return out


def preview(
    live: Mapping[str, Any] | None, after: Mapping[str, Any], *, keep_status: bool = False
) -> Preview:
    """The diff from ``live`` (None: the object does not exist) to ``after`` (the dry run's answer)."""
    before_text = dump_yaml(clean(live, keep_status=keep_status)) if live is not None else ""
    after_text = dump_yaml(clean(after, keep_status=keep_status))
    if before_text == after_text:
        return Preview((), 0, 0)
    raw = difflib.unified_diff(
        before_text.splitlines(),
        after_text.splitlines(),
        fromfile="live",
        tofile="after this request (dry run)",
        n=CONTEXT_LINES,
        lineterm="",
    )
    lines: list[DiffLine] = []
    added = removed = 0
    truncated = False
    for text in raw:
        kind: LineKind
        if text.startswith(("---", "+++")) and len(lines) < 2:
            kind = "head"
        elif text.startswith("@@"):
            kind = "hunk"
        elif text.startswith("+"):
            kind, added = "add", added + 1
        elif text.startswith("-"):
            kind, removed = "del", removed + 1
        else:
            kind = "ctx"
        if len(lines) >= MAX_DIFF_LINES:
            truncated = True
            continue
        lines.append(DiffLine(kind, text))
    return Preview(tuple(lines), added, removed, new_object=live is None, truncated=truncated)
