"""Defensive JSON reading: parse once with orjson, then walk with helpers that never raise.

Every parser in the catalog reads untrusted shapes. These helpers answer a default when a value is
missing or has the wrong type, so the parsers read as plain code and a malformed entry is skipped
instead of crashing a page. orjson is used because the v2 document of a cluster with many CRDs is
tens of megabytes and orjson parses it several times faster than :mod:`json`, with less memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from .errors import CatalogError

JSONDict = dict[str, Any]


def parse_json(body: bytes, what: str) -> JSONDict:
    """Parse ``body`` into a JSON object, or raise :class:`CatalogError` naming ``what`` it was."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise CatalogError(f"{what} is not valid JSON ({exc}).", path=what) from exc
    if not isinstance(value, dict):
        raise CatalogError(f"{what} is JSON but not an object (got {type(value).__name__}).", path=what)
    return value


def get_dict(obj: object, key: str) -> JSONDict:
    """``obj[key]`` when both are JSON objects, else an empty dict."""
    if isinstance(obj, Mapping):
        value = obj.get(key)
        if isinstance(value, dict):
            return value
    return {}


def get_list(obj: object, key: str) -> list[Any]:
    """``obj[key]`` when it is a JSON array, else an empty list."""
    if isinstance(obj, Mapping):
        value = obj.get(key)
        if isinstance(value, list):
            return value
    return []


def get_str(obj: object, key: str, default: str = "") -> str:
    """``obj[key]`` when it is a string, else ``default``."""
    if isinstance(obj, Mapping):
        value = obj.get(key)
        if isinstance(value, str):
            return value
    return default


def str_tuple(value: object) -> tuple[str, ...]:
    """The strings of a JSON array, in order; anything else in it (or a non-array) is dropped."""
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()
