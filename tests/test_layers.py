"""The layer table of ``docs/architecture.md`` holds for the code, and no module imports itself back.

The table is read from the document itself (section "Layers and what each may import"), so the picture a
newcomer reads and the rule the suite enforces are one text: a new layer, or a new allowed import, is one
row edited there. Imports are read with ``ast`` from every module, including those under ``if
TYPE_CHECKING:`` — a type-level cycle is still two modules that cannot be understood one without the other.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "webexplorer"
DOC = ROOT / "docs" / "architecture.md"
SECTION = "## Layers and what each may import"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py") if "static" not in p.parts}


def imports_of(path: Path, known: dict[str, Path]) -> Iterator[str]:
    """Every module ``path`` imports: package-internal ones resolved to the module (``from
    webexplorer.web import urls`` is ``webexplorer.web.urls``), third-party ones as their top name."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known]
            yield from subs or [target]


def layer_of(module: str) -> str:
    """``webexplorer.web.urls`` → ``web``, ``webexplorer.explorer`` → ``explorer``, the package itself →
    ``webexplorer``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "webexplorer"


def read_table(text: str) -> dict[str, tuple[set[str], set[str]]]:
    """The rows of the layer table: layer → (layers it may import, third-party packages it must not)."""
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[set[str], set[str]]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        layer = re.findall(r"`([^`]+)`", cells[0])[0].removesuffix(".py").rstrip("/")
        names = [re.findall(r"`([^`]+)`", cell) for cell in cells[1:]]
        rows[layer] = ({n.removesuffix(".py").rstrip("/") for n in names[0]}, set(names[1]))
    return rows


TABLE = read_table(DOC.read_text())
KNOWN = modules()


def test_the_table_is_read_and_names_every_layer() -> None:
    layers = {layer_of(m) for m in KNOWN} - {"webexplorer"}
    assert layers - TABLE.keys() == set(), "layers of the package missing from docs/architecture.md's table"
    assert TABLE.keys() - layers == set(), "rows of the table that name no layer of the package"


@pytest.mark.parametrize("module", sorted(KNOWN))
def test_imports_follow_the_table(module: str) -> None:
    own = layer_of(module)
    allowed, forbidden = TABLE.get(own, (set(), set()))
    wrong = []
    for target in imports_of(KNOWN[module], KNOWN):
        top = target.split(".")[0]
        if top == "webexplorer":
            other = layer_of(target)
            # the package itself is only its version string; a layer may import its own modules
            if target != "webexplorer" and other != own and other not in allowed:
                wrong.append(f"{target} (layer {other!r} is not in {own!r}'s row)")
        elif top in forbidden:
            wrong.append(f"{target} (third-party {top!r} is forbidden for {own!r})")
    assert wrong == [], f"{module} imports what docs/architecture.md's layer table does not allow: {wrong}"


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each one import cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_not_even_type_level() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in KNOWN.items():
        for target in imports_of(path, KNOWN):
            # a package's __init__ re-exports its modules: importing the package is importing them, which is
            # no cycle unless a module of it imports the package back (that edge is kept)
            if target in KNOWN and target != module and not module.startswith(target + "."):
                graph[module].add(target)
    assert cycles(graph) == []


def test_the_checks_can_fail() -> None:
    """The reader and the cycle finder catch what they are for, on made-up input."""
    table = read_table(
        f"{SECTION}\n\n| layer | may | must not |\n|---|---|---|\n| `catalog/` | `source` | `httpx` |\n"
    )
    assert table == {"catalog": ({"source"}, {"httpx"})}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
