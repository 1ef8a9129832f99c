"""The pure history rules on small hand-made surfaces, for the cases the embedded releases do not (yet)
contain: a group version removed without any warning, a field removed while its kind stays, and the
API server's warning texts as kube-apiserver and CRDs write them."""

from __future__ import annotations

from webexplorer.catalog import GVK
from webexplorer.catalog.diff import ApiSurface, FieldFacts, ResourceFacts
from webexplorer.catalog.history import ApiHistory, parse_deprecation, warning_texts

WIDGET_A1 = GVK("example.com", "v1alpha1", "Widget")
WIDGET_V1 = GVK("example.com", "v1", "Widget")


def _release(
    label: str, widgets: dict[GVK, list[FieldFacts]], warnings: dict[str, str] | None = None
) -> ApiSurface:
    resources = {
        (g.group, g.version, "widgets"): ResourceFacts(g.group, g.version, "widgets", g.kind) for g in widgets
    }
    return ApiSurface(
        label,
        frozenset(f"{g.group}/{g.version}" for g in widgets),
        resources,
        {},
        {g: {f.path: f for f in fs} for g, fs in widgets.items()},
    )


def test_removed_without_warning_names_the_version_serving_the_kind() -> None:
    size = FieldFacts(WIDGET_A1, "spec.size", type="integer")
    history = ApiHistory(
        [
            _release("v1.1.0", {WIDGET_A1: [size, FieldFacts(WIDGET_A1, "spec.old", type="string")]}),
            _release(
                "v1.2.0",
                {
                    WIDGET_A1: [FieldFacts(WIDGET_A1, "spec.size", type="string", required=True)],
                    WIDGET_V1: [FieldFacts(WIDGET_V1, "spec.size")],
                },
            ),
            _release("v1.3.0", {WIDGET_V1: [FieldFacts(WIDGET_V1, "spec.size")]}),
        ]
    )
    life = history.group_version("example.com/v1alpha1")
    assert (life.first, life.last, life.removed_in) == ("v1.1.0", "v1.2.0", "v1.3.0")
    assert life.replacement == "example.com/v1" and life.deprecated_in is None
    since = history.group_version("example.com/v1")
    assert since.added_in_range and since.first == "v1.2.0" and since.removed_in is None
    gone = history.field(WIDGET_A1, "spec.old")
    assert gone.removed_in == "v1.2.0"
    assert history.field(WIDGET_A1, "spec.size").removed_in is None  # the kind went, not the field
    changes = [(c.release, c.what, c.old, c.new) for c in history.field_changes(WIDGET_A1, "spec.size")]
    assert changes == [
        ("v1.2.0", "type", "integer", "string"),
        ("v1.2.0", "required", "optional", "required"),
    ]
    assert [c.what for c in history.field_changes(WIDGET_A1, "spec.old")] == ["removed"]


def test_warning_texts_as_the_server_writes_them() -> None:
    header = (
        '299 - "flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema is deprecated in v1.29+, unavailable in '
        'v1.32+; use flowcontrol.apiserver.k8s.io/v1 FlowSchema", 299 - "another \\"quoted\\" one"'
    )
    assert warning_texts(header)[1] == 'another "quoted" one'
    said = parse_deprecation(header)
    assert said is not None
    assert (said.deprecated_in, said.unavailable_in) == ("v1.29", "v1.32")
    assert said.replacement == "flowcontrol.apiserver.k8s.io/v1 FlowSchema"
    assert said.replacement_group_version == "flowcontrol.apiserver.k8s.io/v1"
    crd = parse_deprecation('299 - "example.com/v1beta1 Widget is deprecated; use example.com/v1 Widget"')
    assert crd is not None and crd.deprecated_in == "" and crd.replacement == "example.com/v1 Widget"
    assert parse_deprecation('299 - "unknown field \\"spec.x\\""') is None
    assert parse_deprecation("") is None
