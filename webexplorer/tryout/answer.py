"""What came back, arranged for the answer panel: status, decoded ``Status``, warnings, the headers
worth seeing, timing, and the body pretty-printed (JSON and YAML), highlighted, cut when huge.

The YAML view can be left for later (``present(..., yaml=False)``): dumping and highlighting YAML cost
more than everything else on the panel together, and most answers are read in the JSON view shown
first. :func:`yaml_view` makes it when the person opens its tab.

The whole body is always kept for download; only the *view* is cut (:data:`VIEW_LIMIT`), because
highlighting and rendering megabytes makes a page nobody can read. Answers that are the server's own
``Table`` (``as=Table``) are also laid out as an HTML table, and list answers carry their ``continue``
token for the next page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from markupsafe import Markup

from .bodies import dump_json, dump_yaml
from .highlight import Language, highlight
from .status import StatusInfo, decode_status, expired_continue_message, warning_text

#: characters of pretty-printed body shown on the page; the rest is in the download
VIEW_LIMIT = 200_000
#: bodies larger than this get no YAML view (dumping YAML is slow), only JSON and the download
YAML_LIMIT = 1 << 20
HEADERS_SHOWN = (
    "audit-id",
    "content-type",
    "content-length",
    "x-kubernetes-pf-flowschema-uid",
    "x-kubernetes-pf-prioritylevel-uid",
    "retry-after",
    "location",
    "etag",
)


@dataclass(frozen=True, slots=True)
class View:
    """One rendering of the body: highlighted HTML of at most :data:`VIEW_LIMIT` characters."""

    language: str
    html: Markup
    cut: bool
    full_length: int


@dataclass(frozen=True, slots=True)
class TableView:
    columns: tuple[str, ...]
    descriptions: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class AnswerView:
    status: int
    reason: str
    elapsed_ms: float
    size: int
    content_type: str
    headers: tuple[tuple[str, str], ...]
    warnings: tuple[str, ...]
    status_info: StatusInfo | None
    views: tuple[View, ...]
    value: Any = field(default=None, repr=False)
    table: TableView | None = None
    continue_token: str = ""
    remaining: int | None = None
    expired_message: str | None = None
    #: a YAML view exists but was left for later (:func:`yaml_view`, when its tab is opened)
    yaml_later: bool = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def audit_id(self) -> str:
        return next((v for k, v in self.headers if k == "audit-id"), "")

    @property
    def is_single_object(self) -> bool:
        return is_single_object(self.value)


def is_single_object(v: Any) -> bool:
    """A single object (not a list, table or Status): what *Explain this object* can show."""
    return (
        isinstance(v, Mapping)
        and isinstance(v.get("kind"), str)
        and v.get("kind") != "Status"
        and not str(v.get("kind")).endswith("List")
        and v.get("kind") != "Table"
        and isinstance(v.get("metadata"), Mapping)
    )


def present(
    *,
    status: int,
    reason: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    elapsed: float,
    used_continue: bool = False,
    yaml: bool = True,
) -> AnswerView:
    """Arrange an answer for the page; with ``yaml=False`` the YAML view is only marked as available."""
    content_type = next((v for k, v in headers if k == "content-type"), "")
    warnings = tuple(warning_text(v) for k, v in headers if k == "warning")
    shown = tuple((k, v) for k, v in headers if k in HEADERS_SHOWN or k.startswith("x-kubernetes-pf-"))
    value: Any = None
    views: list[View] = []
    if body and ("json" in content_type or body[:1] in (b"{", b"[")):
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError:
            value = None
    has_yaml = value is not None and len(body) <= YAML_LIMIT
    if value is not None:
        views.append(_view(dump_json(value), "json"))
        if has_yaml and yaml:
            views.append(yaml_view(value))
    elif body:
        views.append(_view(body.decode("utf-8", "replace"), "text"))
    info = decode_status(value)
    metadata = value.get("metadata") if isinstance(value, Mapping) else None
    continue_token = ""
    remaining = None
    if isinstance(metadata, Mapping) and value.get("kind") != "Status":
        continue_token = str(metadata.get("continue") or "")
        r = metadata.get("remainingItemCount")
        remaining = r if isinstance(r, int) else None
    return AnswerView(
        status=status,
        reason=reason,
        elapsed_ms=elapsed * 1000,
        size=len(body),
        content_type=content_type,
        headers=shown,
        warnings=warnings,
        status_info=info,
        views=tuple(views),
        value=value,
        table=table_view(value),
        continue_token=continue_token,
        remaining=remaining,
        expired_message=expired_continue_message(status, info, used_continue),
        yaml_later=has_yaml and not yaml,
    )


def yaml_view(value: Any) -> View:
    """The YAML view of a decoded JSON answer."""
    return _view(dump_yaml(value), "yaml")


def _view(text: str, language: str) -> View:
    cut = len(text) > VIEW_LIMIT
    shown = text[: text.rfind("\n", 0, VIEW_LIMIT) + 1 or VIEW_LIMIT] if cut else text
    lang: Language = "json" if language == "json" else "yaml" if language == "yaml" else "text"
    return View(language, highlight(shown, lang), cut, len(text))


def table_view(value: Any) -> TableView | None:
    """A ``meta.k8s.io/v1`` ``Table`` as columns (priority 0, as kubectl shows them) and string rows."""
    if not isinstance(value, Mapping) or value.get("kind") != "Table":
        return None
    defs = [d for d in value.get("columnDefinitions") or () if isinstance(d, Mapping)]
    keep = [i for i, d in enumerate(defs) if not d.get("priority")]
    rows = []
    for row in value.get("rows") or ():
        cells = row.get("cells") if isinstance(row, Mapping) else None
        if isinstance(cells, list):
            rows.append(tuple(_cell(cells[i]) if i < len(cells) else "" for i in keep))
    return TableView(
        columns=tuple(str(defs[i].get("name", "")) for i in keep),
        descriptions=tuple(str(defs[i].get("description", "")) for i in keep),
        rows=tuple(rows),
    )


def _cell(value: Any) -> str:
    if value is None:
        return "<none>"
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()
