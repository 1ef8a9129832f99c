"""Reading one field of a kubeconfig entry, with the sentence for a wrong one.

Every reader names the file and the entry (``cluster 'prod'``, ``user 'me'``) so a malformed kubeconfig
is reported as one sentence a person can act on; shared by loading the files
(:mod:`.kubeconfig`) and resolving a context (:mod:`.kubecontext`, :mod:`.kubeexec`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webexplorer.cluster.errors import KubeconfigError


@dataclass(frozen=True, slots=True)
class Entry:
    """One named cluster, user or context, and the file it came from."""

    name: str
    body: Mapping[str, Any]
    source: Path


def kind_of(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


def opt_str(body: Mapping[str, Any], key: str, what: str, source: Path) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise KubeconfigError(
            f"The kubeconfig {source}: '{key}' of {what} is {kind_of(value)}, not a string: fix the file."
        )
    return value


def opt_bool(body: Mapping[str, Any], key: str, what: str, source: Path) -> bool:
    value = body.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise KubeconfigError(
            f"The kubeconfig {source}: '{key}' of {what} is {kind_of(value)}, not true or false: fix the "
            "file."
        )
    return value


def path_in(value: str, source: Path) -> Path:
    path = Path(value)
    return path if path.is_absolute() else source.parent / path


def data_field(body: Mapping[str, Any], key: str, what: str, source: Path) -> bytes | None:
    value = opt_str(body, key, what, source)
    if value is None:
        return None
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise KubeconfigError(
            f"The kubeconfig {source}: '{key}' of {what} is not valid base64: paste the output of "
            "'base64 -w0 FILE', or use the file-path field instead."
        ) from None


def read_file(path: Path, key: str, what: str, source: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KubeconfigError(
            f"The file {path} named by '{key}' of {what} in {source} could not be read "
            f"({exc.strerror or type(exc).__name__}): fix the path or the file's permissions."
        ) from None
