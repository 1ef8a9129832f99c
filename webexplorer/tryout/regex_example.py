"""A short string that a schema's ``pattern`` accepts, so a starting body passes the API server's check.

The pattern is parsed with Python's own regular-expression parser and walked once, taking the first
branch, a plain character of each class (lower-case letters first: names read like names) and each
repeat as few times as it allows, then a few times more when a ``minLength`` needs a longer value.
Every candidate is checked with :func:`re.search` (OpenAPI patterns are unanchored, like the API
server's) and against the lengths before it is offered; a pattern this cannot satisfy (Go-only
syntax such as ``\\p{L}``, back-references, look-arounds it guessed wrong) gives ``None``, never a
value that fails.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

# Python's own parser (``sre_parse``, under ``re._parser`` since 3.11; the old name warns)
sre_parse: Any = importlib.import_module("re._parser")
sre_c: Any = importlib.import_module("re._constants")

PREFERRED = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-._:/@ "
_EXTRA = (0, 1, 2, 4, 8, 16, 32, 64, 253)


class _Unsupported(Exception):
    pass


def example_matching(
    pattern: str | None, *, min_length: int = 0, max_length: int | None = None, prefer: str = "example"
) -> str | None:
    """``prefer`` if it fits, else a generated string that fits ``pattern`` and the lengths, else None."""
    try:
        compiled = re.compile(pattern) if pattern else None
        parsed = sre_parse.parse(pattern) if pattern else None
    except (re.error, RecursionError, OverflowError):
        return None

    def fits(value: str) -> bool:
        if len(value) < min_length or (max_length is not None and len(value) > max_length):
            return False
        return compiled is None or compiled.search(value) is not None

    candidates = [prefer, prefer[: max_length or None], prefer + "x" * max(0, min_length - len(prefer))]
    for value in candidates:
        if fits(value):
            return value
    if parsed is None:
        return None
    for extra in _EXTRA:
        try:
            value = _walk(parsed, extra)
        except (_Unsupported, RecursionError):
            return None
        if fits(value):
            return value
        if max_length is not None and len(value) > max_length:
            break
    return None


def _walk(items: Any, extra: int) -> str:
    out: list[str] = []
    for op, arg in items:
        out.append(_one(op, arg, extra))
    return "".join(out)


def _one(op: Any, arg: Any, extra: int) -> str:
    if op is sre_c.LITERAL:
        return chr(arg)
    if op is sre_c.NOT_LITERAL:
        return "a" if chr(arg) != "a" else "b"
    if op is sre_c.ANY:
        return "a"
    if op is sre_c.IN:
        return _pick(arg)
    if op is sre_c.CATEGORY:
        return _pick([(op, arg)])
    if op is sre_c.BRANCH:
        return _walk(arg[1][0], extra)
    if op is sre_c.SUBPATTERN:
        return _walk(arg[-1], extra)
    if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None)):
        low, high, body = arg
        count = low + extra if high == sre_c.MAXREPEAT else min(high, low + extra)
        return "".join(_walk(body, extra) for _ in range(count))
    if op in (sre_c.AT, sre_c.ASSERT, sre_c.ASSERT_NOT):
        return ""
    raise _Unsupported(str(op))


def _pick(items: list[tuple[Any, Any]]) -> str:
    """The first preferred (else any printable) character the class ``items`` admits."""
    negate = bool(items) and items[0][0] is sre_c.NEGATE
    members = items[1:] if negate else items
    for c in PREFERRED + "".join(chr(i) for i in range(33, 127)):
        if _member(members, c) != negate:
            return c
    raise _Unsupported("empty class")


def _member(items: list[tuple[Any, Any]], c: str) -> bool:
    code = ord(c)
    for op, arg in items:
        if op is sre_c.LITERAL and arg == code:
            return True
        if op is sre_c.RANGE and arg[0] <= code <= arg[1]:
            return True
        if op is sre_c.CATEGORY and _category(arg, c):
            return True
    return False


def _category(cat: Any, c: str) -> bool:
    checks = {
        sre_c.CATEGORY_DIGIT: c.isdigit(),
        sre_c.CATEGORY_NOT_DIGIT: not c.isdigit(),
        sre_c.CATEGORY_WORD: c.isalnum() or c == "_",
        sre_c.CATEGORY_NOT_WORD: not (c.isalnum() or c == "_"),
        sre_c.CATEGORY_SPACE: c.isspace(),
        sre_c.CATEGORY_NOT_SPACE: not c.isspace(),
    }
    return checks.get(cat, False)
