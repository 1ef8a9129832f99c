"""Every library's snippet of one call, in the order a page shows them, and the call of an operation
as the catalog describes it (its kind, scope, and whether it is built in)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from webexplorer.catalog import Catalog, Operation

from ..plan import PlannedRequest, Policy, Refusal, plan
from . import golang, java, javascript, python
from .call import Call, Code, example_form, from_plan

#: (id, label, the library as a person names it, its snippet writer)
LIBRARIES: tuple[tuple[str, str, str, Callable[[Call], Code]], ...] = (
    ("python", "Python", "kubernetes (PyPI)", python.snippet),
    ("golang", "Go", "client-go", golang.snippet),
    ("java", "Java", "Fabric8 kubernetes-client (Maven Central)", java.snippet),
    ("javascript", "JavaScript", "@kubernetes/client-node (npm)", javascript.snippet),
)


@dataclass(frozen=True, slots=True)
class Described:
    """What a call needs from the catalog beside the operation."""

    kind: str
    builtin: bool
    resource_namespaced: bool


def describe(catalog: Catalog, op: Operation) -> Described:
    t = op.target
    resource = catalog.resource(t.group, t.version, t.resource) if t is not None and t.resource else None
    group = catalog.group(t.group) if t is not None else None
    return Described(
        kind=resource.kind.kind if resource is not None else (op.gvk.kind if op.gvk else ""),
        builtin=group is None or group.origin != "custom",
        resource_namespaced=resource is not None and resource.namespaced,
    )


def snippets(call: Call) -> tuple[Code, ...]:
    return tuple(write(call) for _, _, _, write in LIBRARIES)


def call_of(catalog: Catalog, op: Operation, plan: PlannedRequest, path: dict[str, str]) -> Call:
    """The call of a checked try-it request, with what the catalog says of its resource."""
    d = describe(catalog, op)
    return from_plan(
        op, plan, path, kind=d.kind, builtin=d.builtin, resource_namespaced=d.resource_namespaced
    )


def for_plan(catalog: Catalog, op: Operation, plan: PlannedRequest, path: dict[str, str]) -> tuple[Code, ...]:
    """The snippets of a checked try-it request."""
    return snippets(call_of(catalog, op, plan, path))


def for_operation(
    catalog: Catalog, op: Operation, *, libraries: bool = True
) -> tuple[PlannedRequest, tuple[Code, ...]] | None:
    """What an operation page shows: the example request, planned as a try-it form would be (so the
    page and the answer panel write the same code), and its snippets; None when the planner refuses
    the example (nothing to show but the form)."""
    form = example_form(op)
    planned = plan(op, form, Policy(allow_writes=False, allow_connect=True))
    if isinstance(planned, Refusal):
        return None
    return planned, for_plan(catalog, op, planned, dict(form.path)) if libraries else ()
