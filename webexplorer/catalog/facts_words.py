"""Plain words for the parts of a schema that are codes: formats, types, numbers and lists of names.

A schema says ``format: byte`` or ``x-kubernetes-list-type: map``; a person writing a manifest needs
"base64-encoded bytes" and "items are merged by `name`". The words here are the one place those codes
are turned into sentences, so the HTML, text and JSON views of a field say the same thing. Everything
is pure and total: an unknown format or a value of an unexpected type yields a neutral phrase, never an
error, because every value comes from a cluster and may be anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

#: the formats Kubernetes types and CRDs use, in a few words each. The API server validates some of
#: them on custom resources (``date-time``, ``byte``, ``uuid``...); built-in types are validated in Go.
FORMAT_WORDS: dict[str, str] = {
    "int32": "a 32-bit integer (−2147483648 to 2147483647)",
    "int64": "a 64-bit integer",
    "float": "a 32-bit floating-point number",
    "double": "a 64-bit floating-point number",
    "byte": "base64-encoded bytes",
    "binary": "raw bytes",
    "date": "a date, as 2006-01-02",
    "date-time": "an RFC 3339 date and time, as 2006-01-02T15:04:05Z",
    "datetime": "an RFC 3339 date and time, as 2006-01-02T15:04:05Z",
    "duration": "a duration, as 1h30m or 90s",
    "quantity": "a quantity, as 500m, 2, 1.5Gi or 1e3",
    "int-or-string": "an integer or a string",
    "password": "a secret string (shown hidden by UIs)",
    "uri": "a URI",
    "email": "an e-mail address",
    "hostname": "a host name",
    "ipv4": "an IPv4 address",
    "ipv6": "an IPv6 address",
    "cidr": "a CIDR block, as 10.0.0.0/8",
    "mac": "a MAC address",
    "uuid": "a UUID",
    "uuid3": "a version 3 UUID",
    "uuid4": "a version 4 UUID",
    "uuid5": "a version 5 UUID",
    "bsonobjectid": "a BSON object id",
    "isbn": "an ISBN",
    "isbn10": "an ISBN-10",
    "isbn13": "an ISBN-13",
    "creditcard": "a credit card number",
    "ssn": "a US social security number",
    "hexcolor": "a hex colour, as #fff",
    "rgbcolor": "an RGB colour, as rgb(0,0,0)",
}


def format_words(fmt: str) -> str:
    """``byte`` → "base64-encoded bytes"; an unknown format is named as it is."""
    return FORMAT_WORDS.get(fmt, f"format {fmt!r}")


def exact(value: Any) -> str:
    """The exact value as text: strings as they are written in the schema (JSON-quoted), numbers
    without a spurious ``.0``, objects and lists as compact JSON with keys in their order."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def names(items: Iterable[object], conjunction: str = "and") -> str:
    """``["a", "b", "c"]`` → "`a`, `b` and `c`": field names in a sentence."""
    quoted = [f"`{i}`" for i in items]
    if not quoted:
        return ""
    if len(quoted) == 1:
        return quoted[0]
    return f"{', '.join(quoted[:-1])} {conjunction} {quoted[-1]}"


def plural(n: int, one: str, many: str | None = None) -> str:
    """``plural(1, "item")`` → "1 item", ``plural(3, "item")`` → "3 items"."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def type_words(name: str, fmt: str = "") -> str:
    """A type in words: ``integer`` + ``int32`` → "integer (a 32-bit integer …)"."""
    base = {
        "int-or-string": "an integer or a string",
        "any": "any value",
        "map": "a map of string keys",
        "array": "a list",
        "object": "an object",
    }.get(name, name)
    if fmt and fmt != "int-or-string":
        return f"{base} ({format_words(fmt)})"
    return base
