"""Request bodies typed by a person: YAML or JSON, parsed under limits before anything is sent.

Why each limit:

* **3 MiB** — the API server's own request limit; a bigger body would only be refused after the upload.
* **Alias expansion** — PyYAML shares aliased nodes, so a "billion laughs" document is small in memory
  but explodes when written out as JSON for the API server. The composed node graph is measured with
  aliases expanded (memoised, so measuring is cheap) and refused past :data:`MAX_NODES`; recursive
  aliases are refused outright.
* **Nesting depth** — constructing deeply nested values recurses in Python.
* **One document** — ``---`` separated documents would silently drop all but one.
* **A mapping** (or a list for ``json-patch+json``) — anything else is not a Kubernetes object.

Timestamps stay strings (as ``kubectl`` sends them) instead of becoming ``datetime`` values, and the
body sent is always the canonical JSON of what was parsed, so what the API server gets is exactly what
was checked. PyYAML's C loader is used where it is built in (it is several times faster).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import orjson
import yaml

MAX_BODY_BYTES = 3 * 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 100

BodyFormat = Literal["yaml", "json"]

_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """Safe loading, with timestamps left as the strings they were typed as."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


class BodyError(ValueError):
    """A body that will not be sent; ``str()`` is the sentence to show."""


@dataclass(frozen=True, slots=True)
class ParsedBody:
    """A checked body: the value, and the JSON bytes that will be sent."""

    value: Any
    data: bytes
    format: BodyFormat


def looks_like_json(text: str) -> bool:
    stripped = text.lstrip()
    return stripped.startswith(("{", "["))


def parse_body(text: str, *, expect: Literal["object", "list"] = "object") -> ParsedBody:
    """Parse ``text`` (JSON when it starts with ``{``/``[``, else YAML) into a checked body."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if len(raw) > MAX_BODY_BYTES:
        raise BodyError(
            f"The body is {len(raw) / 1048576:.1f} MiB; the explorer sends at most 3 MiB (the API server's "
            "own limit)."
        )
    if not text.strip():
        raise BodyError("The body is empty; this operation needs one.")
    fmt: BodyFormat = "json" if looks_like_json(text) else "yaml"
    value = _load_json(raw) if fmt == "json" else _load_yaml(text)
    _check_shape(value, expect)
    try:
        data = orjson.dumps(value)
    except TypeError as exc:
        raise BodyError(f"The body holds a value that has no JSON form ({exc}).") from None
    return ParsedBody(value, data, fmt)


def _load_json(raw: bytes) -> Any:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BodyError(f"The body is not valid JSON: {exc}.") from None
    _check_depth(value)
    return value


def _load_yaml(text: str) -> Any:
    _scan_events(text)
    loader = _Loader(text)
    try:
        nodes = []
        while loader.check_node():
            nodes.append(loader.get_node())
            if len(nodes) > 1:
                raise BodyError(
                    "The body holds several YAML documents (separated by '---'); this operation takes one."
                )
        if not nodes:
            raise BodyError("The body is empty; this operation needs one.")
        _measure(nodes[0])
        return loader.construct_document(nodes[0])
    except yaml.YAMLError as exc:
        raise BodyError(f"The body is not valid YAML: {_one_line(exc)}") from None
    except RecursionError:
        raise BodyError(f"The body is nested more than {MAX_DEPTH} levels deep.") from None
    finally:
        loader.dispose()


def _scan_events(text: str) -> None:
    """A flat pass over the parser's events, before anything recursive runs: libyaml's composer
    recurses in C and crashes the process on a few hundred thousand nested brackets, so depth and the
    document count are checked here first."""
    depth = 0
    documents = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise BodyError(f"The body is nested more than {MAX_DEPTH} levels deep.")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise BodyError(
                        "The body holds several YAML documents (separated by '---'); this operation "
                        "takes one."
                    )
    except yaml.YAMLError as exc:
        raise BodyError(f"The body is not valid YAML: {_one_line(exc)}") from None


def _measure(root: yaml.Node) -> None:
    """Refuse graphs that expand past :data:`MAX_NODES` values or :data:`MAX_DEPTH` levels, or loop."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in on_path:
            raise BodyError("The YAML body has a recursive alias (an anchor used inside itself).")
        if depth > MAX_DEPTH:
            raise BodyError(f"The body is nested more than {MAX_DEPTH} levels deep.")
        total = 1
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            on_path.add(key)
            children: list[yaml.Node] = (
                [n for pair in node.value for n in pair]
                if isinstance(node, yaml.MappingNode)
                else list(node.value)
            )
            for child in children:
                total += size(child, depth + 1)
                if total > MAX_NODES:
                    raise BodyError(
                        f"The YAML body's aliases expand to more than {MAX_NODES:,} values (a 'billion "
                        "laughs' document); write the values out instead of repeating anchors."
                    )
            on_path.discard(key)
        sizes[key] = total
        return total

    size(root, 0)


def _check_depth(value: Any) -> None:
    stack: list[tuple[Any, int]] = [(value, 0)]
    count = 0
    while stack:
        item, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise BodyError(f"The body is nested more than {MAX_DEPTH} levels deep.")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def _check_shape(value: Any, expect: Literal["object", "list"]) -> None:
    if expect == "list":
        if not isinstance(value, list):
            raise BodyError('A JSON patch is a list of operations ([{"op": ..., "path": ...}]).')
        return
    if not isinstance(value, dict):
        kind = "a list" if isinstance(value, list) else f"a {type(value).__name__}"
        raise BodyError(f"The body is {kind}; this operation takes one object (a mapping of fields).")
    if any(not isinstance(k, str) for k in value):
        raise BodyError("Every key of the body must be a string.")


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:300] + ("…" if len(text) > 300 else "")


def dump_yaml(value: Any) -> str:
    """``value`` as block YAML in the document's key order (what the body editor shows)."""
    dumper: type[Any] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(
        value, Dumper=dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )


def dump_json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
