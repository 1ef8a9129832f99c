"""The Downward API reader (webexplorer/podinfo.py): Go-quoted label and annotation files, the kubelet's
``..data`` swap, env and volume side by side, and the "how to expose it" snippets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from webexplorer.podinfo import ITEMS, PodInfoReader, go_unquote, parse_map_file
from webexplorer.sandbox.atomic_writer import AtomicWriter
from webexplorer.sandbox.downward import downward_payload, format_map, go_quote


@pytest.mark.parametrize(
    ("quoted", "text"),
    [
        ('"plain"', "plain"),
        ('""', ""),
        ('"line one\\nline two\\n"', "line one\nline two\n"),
        ('"tab\\there \\"quoted\\" back\\\\slash"', 'tab\there "quoted" back\\slash'),
        ('"\\x00\\x7f"', "\x00\x7f"),
        ('"\\u2028 \\U0001f600"', "\u2028 \U0001f600"),
        ('"\\303\\251"', "é"),  # octal escapes are bytes
        ('"\\xc3\\xa9"', "é"),  # so are \x escapes: two of them make one UTF-8 character
        ('"é 😀"', "é 😀"),
    ],
)
def test_go_unquote(quoted: str, text: str) -> None:
    assert go_unquote(quoted) == text


@pytest.mark.parametrize(
    "bad", ['"', "plain", '"a"b"', '"trailing\\"', '"\\q"', '"\\x4"', '"\\ud800"', '"\\400"']
)
def test_go_unquote_refuses_what_go_refuses(bad: str) -> None:
    with pytest.raises(ValueError):
        go_unquote(bad)


@given(st.text())
def test_kubelet_quoting_round_trips(text: str) -> None:
    assert go_unquote(go_quote(text)) == text


@given(
    st.dictionaries(
        st.from_regex(r"[a-z0-9]([a-z0-9.-]{0,20}/)?[a-zA-Z0-9_.-]{1,20}", fullmatch=True), st.text()
    )
)
def test_map_files_round_trip(values: dict[str, str]) -> None:
    parsed = parse_map_file(format_map(values))
    assert not parsed.bad_lines
    assert {e.key: e.value for e in parsed.entries} == values


def test_unreadable_lines_are_kept_not_dropped() -> None:
    parsed = parse_map_file('good="yes"\nnot a line\nbad="\\q"')
    assert [e.key for e in parsed.entries] == ["good"]
    assert parsed.bad_lines == ("not a line", 'bad="\\q"')


def test_not_in_a_pod(tmp_path: Path) -> None:
    info = PodInfoReader(tmp_path / "missing").read({})
    assert not info.in_pod
    assert "not running in a pod" in info.reason
    assert info.missing == info.items


def test_env_and_volume_files_after_an_atomic_swap(tmp_path: Path) -> None:
    directory = tmp_path / "podinfo"
    writer = AtomicWriter(directory)
    writer.write(
        downward_payload({"app": "webexplorer"}, {"note": "one\ntwo\n"}, cpu_request_millicores="250")
    )
    reader = PodInfoReader(directory)
    env = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "POD_NAME": "web-1", "CPU_REQUEST_MILLICORES": "250"}

    first = reader.read(env)
    assert first.in_pod and first.data_version is not None
    assert first.item("name").value == "web-1" and first.item("name").file_value is None
    assert first.item("cpu_request").human == "250 millicores (0.25 CPU)"
    assert not first.item("cpu_request").differs
    labels = first.item("labels").parsed
    assert labels is not None and labels.get("app") == "webexplorer"
    note = first.item("annotations").parsed
    assert note is not None and note.entries[0].multiline and note.entries[0].value == "one\ntwo\n"
    assert {i.spec.key for i in first.missing} == {
        "namespace",
        "ip",
        "node",
        "service_account",
        "memory_limit",
    }
    assert reader.read(env) == first  # nothing changed: the cached parse

    # `kubectl label pod web-1 tier=frontend` and an in-place resize, as the kubelet publishes them
    writer.write(
        downward_payload(
            {"app": "webexplorer", "tier": "frontend"}, {"note": "one\ntwo\n"}, cpu_request_millicores="500"
        )
    )
    second = reader.read(env)
    assert second.data_version != first.data_version
    labels = second.item("labels").parsed
    assert labels is not None and labels.get("tier") == "frontend"
    assert second.item("cpu_request").value == "500" and second.item("cpu_request").differs


def test_a_plain_directory_is_read_every_time(tmp_path: Path) -> None:
    (tmp_path / "labels").write_text('a="1"')
    reader = PodInfoReader(tmp_path)
    assert reader.read({}).item("labels").parsed.get("a") == "1"  # type: ignore[union-attr]
    (tmp_path / "labels").write_text('a="2"')
    info = reader.read({})
    assert info.data_version is None
    assert info.item("labels").parsed.get("a") == "2"  # type: ignore[union-attr]


@pytest.mark.parametrize("spec", ITEMS, ids=lambda s: s.key)
def test_every_item_says_how_to_expose_it_in_valid_yaml(spec: object) -> None:
    from webexplorer.podinfo import ItemSpec

    assert isinstance(spec, ItemSpec)
    snippets = [s for s in (spec.env_yaml(), spec.volume_yaml()) if s]
    assert snippets, "every item can be exposed one way or another"
    for snippet in snippets:
        doc = yaml.safe_load(snippet)
        assert doc
    if spec.env:
        ref = yaml.safe_load(spec.env_yaml())["env"][0]["valueFrom"]
        assert (
            ref.get("fieldRef", {}).get("fieldPath") == spec.path
            or ref["resourceFieldRef"]["resource"] == spec.path
        )
