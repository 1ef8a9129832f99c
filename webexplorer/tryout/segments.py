"""Path segments a visitor types (namespace, name, ...) and the path rebuilt from them.

The request path is never taken from the visitor: it is the operation's own template with each
``{param}`` replaced by a value checked here. A value that could change which path the API server sees
— ``..`` or ``.``, a ``/``, a percent sign (``%2F``, ``%2E`` decode to the same), a control character,
whitespace at either end — is refused, so the explorer can only ever address what the operation
documents. Values that pass are still percent-quoted when placed, which then changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

#: longest value we accept for one segment (names are at most 253 characters; leave room for others)
MAX_SEGMENT = 253
_PARAM = re.compile(r"\{([^{}/]+)\}")


class SegmentError(ValueError):
    """A path parameter value that cannot be placed in a path; ``str()`` is the sentence to show."""


def check_segment(name: str, value: str) -> str:
    """``value`` if it is safe as the path parameter ``name``; else :class:`SegmentError`."""
    label = f"The {name}"
    if value == "":
        raise SegmentError(f"{label} is required for this operation.")
    if len(value) > MAX_SEGMENT:
        raise SegmentError(f"{label} is longer than {MAX_SEGMENT} characters.")
    if value in (".", ".."):
        raise SegmentError(f"{label} may not be {value!r}: it would address another path.")
    if "/" in value or "\\" in value:
        raise SegmentError(f"{label} may not contain '/': it would address another path.")
    if "%" in value:
        raise SegmentError(
            f"{label} may not contain '%': encoded characters such as %2F or %2E would address another path."
        )
    if any(ord(c) < 0x20 or ord(c) == 0x7F or 0x80 <= ord(c) < 0xA0 for c in value):
        raise SegmentError(f"{label} may not contain control characters.")
    if value != value.strip():
        raise SegmentError(f"{label} may not begin or end with whitespace.")
    if "?" in value or "#" in value:
        raise SegmentError(f"{label} may not contain '?' or '#'.")
    return value


def build_path(template: str, values: Mapping[str, str]) -> str:
    """The operation's path with every ``{param}`` replaced by its checked, quoted value.

    Raises :class:`SegmentError` for a missing or unsafe value."""

    def place(match: re.Match[str]) -> str:
        name = match.group(1)
        value = check_segment(name, values.get(name, ""))
        return quote(value, safe="-._~:@!$&'()*+,;=")

    path = _PARAM.sub(place, template)
    if "//" in path or "/./" in path or "/../" in path:  # cannot happen after the checks; belt and braces
        raise SegmentError("The path could not be rebuilt from the operation's template.")
    return path
