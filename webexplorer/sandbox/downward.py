"""The kubelet's way of writing Downward API files, so the "This pod" page can be tested for real.

A ``downwardAPI`` volume item for ``metadata.labels`` or ``metadata.annotations`` is one line per entry,
sorted by key, ``key="value"`` with the value quoted by Go's ``%q`` (``strconv.Quote``; see
``pkg/fieldpath.FormatMap``). Printable characters stay as they are (Go's ``unicode.IsPrint`` and
Python's ``str.isprintable`` agree: letters, marks, numbers, punctuation, symbols and the ASCII space),
the usual control characters get their short escapes, other ASCII controls ``\\xNN``, other
non-printable code points ``\\uNNNN`` or ``\\UNNNNNNNN``.

Files are published with :class:`~webexplorer.sandbox.atomic_writer.AtomicWriter`, which swaps the
``..data`` symlink exactly as the kubelet does.
"""

from __future__ import annotations

from collections.abc import Mapping

_SHORT = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def go_quote(value: str) -> str:
    """``strconv.Quote(value)`` for valid UTF-8 text."""
    out = ['"']
    for char in value:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        elif char in _SHORT:
            out.append(_SHORT[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append('"')
    return "".join(out)


def format_map(values: Mapping[str, str]) -> str:
    """A labels or annotations file as the kubelet writes it."""
    return "\n".join(f"{key}={go_quote(values[key])}" for key in sorted(values))


def downward_payload(
    labels: Mapping[str, str], annotations: Mapping[str, str], **scalars: str
) -> dict[str, bytes]:
    """The files of a ``downwardAPI`` volume: ``labels``, ``annotations`` and plain values by file name."""
    payload = {"labels": format_map(labels).encode(), "annotations": format_map(annotations).encode()}
    payload.update({name: value.encode() for name, value in scalars.items()})
    return payload
