"""The pure parts of try-it: path segments, body limits, planning, commands, Status decoding, links."""

from __future__ import annotations

import html as html_lib
import re
import string

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import JsonLexer

from webexplorer.catalog import Operation, Parameter, RequestBody, parse_path
from webexplorer.tryout.answer import VIEW_LIMIT, present, yaml_view
from webexplorer.tryout.bodies import MAX_NODES, BodyError, dump_json, parse_body
from webexplorer.tryout.commands import Target, commands
from webexplorer.tryout.highlight import highlight, highlight_json
from webexplorer.tryout.plan import PlannedRequest, Policy, Refusal, TryForm, plan
from webexplorer.tryout.segments import SegmentError, build_path, check_segment
from webexplorer.tryout.share import form_from_fields, share_query
from webexplorer.tryout.status import decode_status, expired_continue_message, warning_text
from webexplorer.tryout.watch import parse_event
from webexplorer.web.answers import AnswerSeals

TEMPLATE = "/api/v1/namespaces/{namespace}/configmaps/{name}"


def op(method: str = "GET", path: str = TEMPLATE, action: str = "get", **kw: object) -> Operation:
    params = tuple(
        Parameter(n, "path", required=True) for n in ("namespace", "name") if "{" + n + "}" in path
    )
    query = tuple(
        Parameter(n, "query", type=t)
        for n, t in (
            ("limit", "integer"),
            ("force", "boolean"),
            ("fieldManager", "string"),
            ("watch", "boolean"),
            ("labelSelector", "string"),
        )
    )
    return Operation("op", method, path, action, None, parse_path(path), parameters=params + query, **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------- segments


@given(st.text(min_size=1, max_size=60))
def test_a_checked_segment_never_changes_the_path_shape(value: str) -> None:
    try:
        path = build_path(TEMPLATE, {"namespace": "default", "name": value})
    except SegmentError:
        return
    parts = path.split("/")
    assert len(parts) == 7 and parts[-1] not in ("", ".", "..")
    assert "%2F" not in path.upper().replace("%252F", "") or "%" in value
    assert all(ord(c) >= 0x20 for c in path)


@pytest.mark.parametrize(
    "value", ["..", ".", "a/b", "a%2Fb", "%2e%2e", "a\x00", "a\nb", " a", "a?b", "a#b", "x" * 300, ""]
)
def test_unsafe_segments_are_refused(value: str) -> None:
    with pytest.raises(SegmentError):
        check_segment("name", value)


@given(st.text(alphabet=string.ascii_lowercase + string.digits + "-.", min_size=1, max_size=60))
def test_kubernetes_names_pass(value: str) -> None:
    if value in (".", ".."):
        return
    assert build_path(TEMPLATE, {"namespace": "ns", "name": value}).endswith("/" + value)


# ------------------------------------------------------------------------------- bodies


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=2, max_value=12), st.integers(min_value=2, max_value=12))
def test_alias_expansion_is_bounded(width: int, levels: int) -> None:
    lines = [f"l0: &l0 [{', '.join(['x'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    text = "\n".join(lines) + "\n"
    expanded = sum(width**i for i in range(1, levels + 1))
    try:
        parsed = parse_body(text)
    except BodyError as exc:
        assert "billion laughs" in str(exc) and expanded > MAX_NODES // 2
        return
    assert len(parsed.data) < 64 * MAX_NODES


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=1, max_value=200_000))
def test_deep_nesting_is_refused_without_crashing(depth: int) -> None:
    text = "a: " + "[" * depth + "]" * depth
    try:
        parse_body(text)
    except BodyError as exc:
        assert "nested" in str(exc)
        assert depth > 50


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\n---\nb: 2\n", "several YAML documents"),
        ("- 1\n", "takes one object"),
        ("just text", "takes one object"),
        ("a: &x [*x]\n", "recursive alias"),
        ("{not json", "not valid JSON"),
        ("a: [1\n", "not valid YAML"),
        ("a: " + "x" * (3 << 20), "3 MiB"),
    ],
)
def test_bad_bodies(text: str, message: str) -> None:
    with pytest.raises(BodyError, match=message.replace("(", r"\(")):
        parse_body(text)


def test_timestamps_stay_strings_and_json_is_canonical() -> None:
    parsed = parse_body("metadata:\n  creationTimestamp: 2024-01-01T00:00:00Z\n")
    assert orjson.loads(parsed.data) == {"metadata": {"creationTimestamp": "2024-01-01T00:00:00Z"}}


# ------------------------------------------------------------------------------- planning


def test_reads_and_writes_are_planned_safely() -> None:
    read = plan(op(), TryForm("GET", {"namespace": "ns", "name": "n"}, {"limit": "2"}), Policy())
    assert isinstance(read, PlannedRequest) and read.target == "/api/v1/namespaces/ns/configmaps/n?limit=2"
    body = RequestBody(None, ("application/merge-patch+json", "application/apply-patch+yaml"))
    patch = op("PATCH", action="patch", request_body=body)
    form = TryForm(
        "PATCH", {"namespace": "ns", "name": "n"}, {}, body="a: 1", patch_type="application/merge-patch+json"
    )
    planned = plan(patch, form, Policy(allow_writes=True))
    assert isinstance(planned, PlannedRequest) and ("dryRun", "All") in planned.query
    assert planned.header("Content-Type") == "application/merge-patch+json"
    refused = plan(
        patch, TryForm("PATCH", {"namespace": "ns", "name": "n"}, body="a: 1", dry_run=False), Policy()
    )
    assert isinstance(refused, Refusal) and "read-only" in refused.reason
    apply_form = TryForm(
        "PATCH", {"namespace": "ns", "name": "n"}, body="a: 1", patch_type="application/apply-patch+yaml"
    )
    assert "field manager" in plan(patch, apply_form, Policy()).reason  # type: ignore[union-attr]
    delete = op("DELETE", action="delete")
    preview = plan(
        delete, TryForm("DELETE", {"namespace": "ns", "name": "n"}, dry_run=False), Policy(allow_writes=True)
    )
    assert isinstance(preview, PlannedRequest) and preview.delete_preview and preview.dry_run
    confirmed = plan(
        delete,
        TryForm("DELETE", {"namespace": "ns", "name": "n"}, dry_run=False, confirm=True),
        Policy(allow_writes=True),
    )
    assert isinstance(confirmed, PlannedRequest) and not confirmed.dry_run


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"limit": "two"}, "whole number"),
        ({"force": "maybe"}, "true or false"),
        ({"bogus": "1"}, "not a query parameter"),
    ],
)
def test_query_values_are_typed(query: dict[str, str], message: str) -> None:
    refused = plan(op(), TryForm("GET", {"namespace": "ns", "name": "n"}, query), Policy())
    assert isinstance(refused, Refusal) and message in refused.reason


def test_list_with_watch_streams_with_bookmarks() -> None:
    listing = op(path="/api/v1/namespaces/{namespace}/configmaps", action="list")
    planned = plan(listing, TryForm("GET", {"namespace": "ns"}, {"watch": "true"}), Policy())
    assert isinstance(planned, PlannedRequest) and planned.watch
    assert ("watch", "true") in planned.query


# ------------------------------------------------------------------------------- answers and commands


def test_commands_never_hold_a_token_and_quote_values() -> None:
    planned = plan(
        op(), TryForm("GET", {"namespace": "ns", "name": "n"}, {"labelSelector": "a=b;rm -rf /"}), Policy()
    )
    assert isinstance(planned, PlannedRequest)
    cmds = commands(planned, "https://10.0.0.1:6443", Target("configmaps", "", "ns", "n"))
    assert '"Authorization: Bearer $TOKEN"' in cmds.curl and "--cacert ca.crt" in cmds.curl
    assert "'https://10.0.0.1:6443/api/v1/namespaces/ns/configmaps/n?" in cmds.curl
    assert cmds.kubectl.startswith("kubectl get --raw '")
    assert "os.environ['TOKEN']" in cmds.python


def test_status_warnings_and_expired_continue() -> None:
    body = orjson.dumps(
        {
            "kind": "Status",
            "status": "Failure",
            "reason": "Invalid",
            "code": 422,
            "message": "bad",
            "details": {
                "name": "x",
                "kind": "configmaps",
                "causes": [{"reason": "FieldValueInvalid", "field": "data", "message": "m"}],
            },
        }
    )
    answer = present(
        status=422,
        reason="Unprocessable",
        headers=[("warning", '299 - "unknown field \\"x\\""')],
        body=body,
        elapsed=0.01,
    )
    assert answer.status_info is not None and answer.status_info.causes[0].field == "data"
    assert answer.warnings == ('unknown field "x"',)
    assert warning_text("plain") == "plain"
    info = decode_status({"kind": "Status", "code": 410, "reason": "Expired", "message": "too old"})
    assert expired_continue_message(410, info, used_continue=True) is not None
    assert expired_continue_message(410, info, used_continue=False) is None


def test_huge_bodies_are_cut_in_the_view_only() -> None:
    body = orjson.dumps(
        {
            "kind": "ConfigMapList",
            "items": [{"i": "x" * 100} for _ in range(5000)],
            "metadata": {"continue": "c"},
        }
    )
    answer = present(
        status=200, reason="OK", headers=[("content-type", "application/json")], body=body, elapsed=0.1
    )
    assert answer.views[0].cut and answer.continue_token == "c" and answer.size == len(body)


def test_share_links_round_trip_without_secrets() -> None:
    form = form_from_fields(
        op(),
        [
            ("csrf", "secret"),
            ("p.name", "n"),
            ("q.limit", "2"),
            ("headers", "Authorization: x"),
            ("confirm", "yes"),
        ],
    )
    query = share_query(form)
    assert "csrf" not in query and "Authorization" not in query and "confirm" not in query
    assert "p.name=n" in query and "q.limit=2" in query


def test_watch_events() -> None:
    event = parse_event('{"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}}')
    assert event is not None and event.gone
    row = parse_event(
        '{"type":"ADDED","object":{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"5"}}}'
    )
    assert row is not None and row.is_row and row.resource_version == "5"
    assert parse_event("not json") is None


# ------------------------------------------------------------------------------- the answer's views

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_the_json_view_is_marked_up_exactly_as_pygments_would(value: object) -> None:
    text = dump_json(value)
    assert highlight_json(text) == pygments_highlight(text, JsonLexer(), HtmlFormatter(nowrap=True))


@given(st.text() | st.builds(lambda v: dump_json(v)[:-3] + "<'\"&", JSON_VALUES))
def test_no_text_reaches_the_page_unescaped(text: str) -> None:
    """Whatever the JSON tokenizer is given (not JSON, cut anywhere), only its own tags are markup."""
    for language in ("json", "text"):
        marked = highlight(text, language)
        text_only = re.sub(r'<span class="[a-z0-9]+">|</span>', "", marked)
        assert not set(text_only) & set("<>\"'"), text_only
        assert html_lib.unescape(text_only) == text + ("" if text.endswith("\n") else "\n")


def test_a_view_cut_at_the_limit_is_still_exact() -> None:
    body = orjson.dumps({"items": [{"n": i, "s": "<x>"} for i in range(20000)]})
    answer = present(
        status=200, reason="OK", headers=[("content-type", "application/json")], body=body, elapsed=0
    )
    view = answer.views[0]
    shown = dump_json(orjson.loads(body))[:VIEW_LIMIT]
    shown = shown[: shown.rfind("\n") + 1]
    assert view.cut and view.html == pygments_highlight(shown, JsonLexer(), HtmlFormatter(nowrap=True))


def test_yaml_can_wait_until_its_tab_is_opened() -> None:
    body = orjson.dumps({"kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "<v>"}})
    kept = {"status": 200, "reason": "OK", "headers": [("content-type", "application/json")], "body": body}
    eager = present(**kept, elapsed=0)  # type: ignore[arg-type]
    later = present(**kept, elapsed=0, yaml=False)  # type: ignore[arg-type]
    assert [v.language for v in eager.views] == ["json", "yaml"] and not eager.yaml_later
    assert [v.language for v in later.views] == ["json"] and later.yaml_later
    assert yaml_view(later.value) == eager.views[1]
    text = present(status=200, reason="OK", headers=[], body=b"plain <text>", elapsed=0, yaml=False)
    assert [v.language for v in text.views] == ["text"] and not text.yaml_later


def test_sealed_answers_open_for_their_session_until_they_expire() -> None:
    seals = AnswerSeals("key")
    body = b'{"kind":"Secret","data":{"k":"c2VjcmV0"}}'
    sealed = seals.seal("session-a", body)
    assert b"c2VjcmV0" not in sealed.encode() and "c2VjcmV0" not in sealed
    assert seals.open(sealed, "session-a") == body
    assert AnswerSeals("key").open(sealed, "session-a") == body  # another replica with the same key
    assert seals.open(sealed, "session-b") is None
    assert AnswerSeals("other key").open(sealed, "session-a") is None
    assert seals.open(sealed[:-2] + ("AA" if not sealed.endswith("AA") else "BB"), "session-a") is None
    assert seals.open("", "session-a") is None and seals.open("%%%", "session-a") is None
    assert AnswerSeals("key", lifetime=-1).open(AnswerSeals("key", lifetime=-1).seal("s", body), "s") is None
