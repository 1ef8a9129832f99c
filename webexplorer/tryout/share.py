"""The form's whole state as a URL, and back: shareable request links.

The form's field names *are* the link's query keys (``p.namespace``, ``q.limit``, ``body``,
``patch_type``, ``dry_run``, ``as_table``), so opening a link refills the same inputs a submit would
read. A link never carries the CSRF token, a confirmation, extra headers or anything from the
explorer's credentials, and the page that opens it only fills the form: sending still takes the
person's click (and, for a write, the CSRF token that only the explorer's own page has).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlencode

from webexplorer.catalog import Operation

from .plan import TryForm

#: fields a link may carry; everything else (csrf, confirm, headers) is dropped (``start``: which
#: starting body the form offers, minimal, full or JSON)
SHARED_FIELDS = ("body", "patch_type", "dry_run", "as_table", "start")
MAX_LINK_BODY = 64 * 1024


def form_from_fields(op: Operation, fields: Iterable[tuple[str, str]], *, upgrade: bool = False) -> TryForm:
    """A :class:`TryForm` from submitted (or linked) fields; the last value of a repeated key wins, which
    is how the hidden ``dry_run=off`` before its checkbox reads as "unchecked"."""
    last: dict[str, str] = {}
    for key, value in fields:
        last[key] = value
    return TryForm(
        method=last.get("method", op.method),
        path={k[2:]: v for k, v in last.items() if k.startswith("p.")},
        query={k[2:]: v for k, v in last.items() if k.startswith("q.")},
        body=last.get("body", ""),
        patch_type=last.get("patch_type", ""),
        dry_run=last.get("dry_run", "on") != "off",
        confirm=last.get("confirm") == "yes",
        as_table=last.get("as_table") == "on",
        headers=last.get("headers", ""),
        upgrade_requested=upgrade,
    )


def share_query(form: TryForm) -> str:
    """The query string that refills ``form`` (empty values left out)."""
    pairs: list[tuple[str, str]] = []
    pairs += [(f"p.{k}", v) for k, v in form.path.items() if v]
    pairs += [(f"q.{k}", v) for k, v in form.query.items() if v]
    if form.body and len(form.body) <= MAX_LINK_BODY:
        pairs.append(("body", form.body))
    if form.patch_type:
        pairs.append(("patch_type", form.patch_type))
    pairs.append(("dry_run", "on" if form.dry_run else "off"))
    if form.as_table:
        pairs.append(("as_table", "on"))
    return urlencode(pairs)


def prefill(fields: Mapping[str, str]) -> dict[str, str]:
    """The linked values the form shows, with anything a link may not carry removed."""
    return {
        k: v
        for k, v in fields.items()
        if (k.startswith(("p.", "q.")) or k in SHARED_FIELDS) and len(v) <= MAX_LINK_BODY
    }
