"""Schemas as field trees, the way ``kubectl explain`` shows them, from either OpenAPI version.

:class:`SchemaSet` wraps the raw definitions of one document (v2 ``definitions`` or v3
``components.schemas``) and resolves ``$ref``s only when a field is looked at, so opening one page
never walks the whole graph. v3 writes a reference with a default or description as
``allOf: [{$ref}]`` plus sibling keys; :meth:`SchemaSet.resolve` unwraps both forms into the same
thing. A reference that already appears on the path from the root is marked ``recursive`` and not
expanded, which is what keeps ``JSONSchemaProps`` (whose fields are JSONSchemaProps) finite. Every
``x-kubernetes-*`` extension is kept on the field it was found on.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from .errors import CatalogError
from .model import GVK

_T = TypeVar("_T")

REF_PREFIXES = ("#/components/schemas/", "#/definitions/")
_EMPTY: Mapping[str, Any] = MappingProxyType({})
_MAX_REF_HOPS = 16


def ref_name(ref: object) -> str | None:
    """The definition name of a local ``$ref`` (either version's prefix), else None."""
    if isinstance(ref, str):
        for prefix in REF_PREFIXES:
            if ref.startswith(prefix):
                return ref[len(prefix) :].replace("~1", "/").replace("~0", "~")
    return None


def short_name(definition: str) -> str:
    """``io.k8s.api.core.v1.PodSpec`` → ``PodSpec``."""
    return definition.rsplit(".", 1)[-1]


def extensions_of(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Every ``x-*`` key of a schema, verbatim."""
    return {k: v for k, v in schema.items() if isinstance(k, str) and k.startswith("x-")}


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """A field's type. ``name`` is one of object, array, map, string, integer, number, boolean,
    int-or-string, any; ``ref`` the definition behind it (for objects and named primitives such as
    Quantity), ``item`` the element type of arrays and maps."""

    name: str
    ref: str | None = None
    item: TypeInfo | None = None
    format: str = ""

    def __str__(self) -> str:
        """kubectl explain's spelling: ``Object``/``PodSpec``, ``[]Container``, ``map[string]string``."""
        if self.name == "array":
            return f"[]{self.item}" if self.item else "[]Object"
        if self.name == "map":
            return f"map[string]{self.item}" if self.item else "map[string]Object"
        if self.name == "object":
            return short_name(self.ref) if self.ref else "Object"
        if self.name == "int-or-string":
            return "IntOrString"
        return self.name

    @property
    def element(self) -> TypeInfo:
        """The type under any arrays and maps: where child fields come from."""
        t = self
        while t.item is not None and t.name in ("array", "map"):
            t = t.item
        return t


@dataclass(frozen=True, slots=True)
class Field:
    """One field of an object schema. ``children`` is None until expanded (lazy), ``()`` for a leaf.
    ``recursive`` means its type's definition already appears above it, so it is shown, not expanded."""

    name: str
    path: str
    type: TypeInfo
    description: str = ""
    required: bool = False
    enum: tuple[Any, ...] = ()
    default: Any = None
    format: str = ""
    extensions: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    recursive: bool = False
    children: tuple[Field, ...] | None = None
    #: the schema whose properties are this field's children (through arrays and maps); None for leaves
    child_schema: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)
    #: the field's whole schema, ``$ref``/``allOf`` merged (:meth:`SchemaSet.merged`): what
    #: :mod:`.fieldfacts` reads every constraint from
    schema: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, repr=False, compare=False)

    @property
    def ref(self) -> str | None:
        """The definition this field's children come from, if they come from one."""
        return self.type.element.ref

    @property
    def has_children(self) -> bool:
        return self.child_schema is not None


@dataclass(frozen=True, slots=True)
class FieldTree:
    """The answer of :meth:`SchemaSet.field_tree`: the node at ``path`` and its expanded fields."""

    root: str  # the definition name the tree starts at
    path: str  # "" for the root itself
    type: TypeInfo
    description: str
    fields: tuple[Field, ...]
    extensions: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    #: the node's whole schema, merged (the kind's own for the root): where its facts come from
    schema: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, repr=False, compare=False)


class SchemaSet:
    """The definitions of one OpenAPI document, read lazily. Immutable once built."""

    __slots__ = ("_by_gvk", "_schemas", "_trees", "memo")

    #: field trees kept per set: every schema page builds one per opened level, the same ones again and
    #: again (trees are immutable, so sharing them is safe); the oldest goes first past this many
    TREE_CACHE_SIZE = 512

    def __init__(self, schemas: Mapping[str, Any]) -> None:
        self._schemas = schemas
        self._by_gvk: dict[GVK, str] | None = None
        self._trees: dict[tuple[str, str, int | None], FieldTree] = {}
        #: results other catalog modules derive from these (immutable) definitions: see :meth:`kept`
        self.memo: dict[object, object] = {}

    def kept(self, schema: Mapping[str, Any], key: Hashable, compute: Callable[[], _T]) -> _T:
        """``compute()`` for one schema node of this set, computed once and kept with the set (its
        definitions never change): ``facts_below`` counts per subtree, ``field_facts`` per field. ``key``
        names what is derived (and anything else it depends on). The node is kept beside its result, so
        its ``id`` cannot be reused by another node while the entry lives."""
        slot = (key, id(schema))
        found = self.memo.get(slot)
        if isinstance(found, tuple) and found[0] is schema:
            result: _T = found[1]
            return result
        result = compute()
        self.memo[slot] = (schema, result)
        return result

    def __len__(self) -> int:
        return len(self._schemas)

    def __contains__(self, name: object) -> bool:
        return name in self._schemas

    def names(self) -> Iterator[str]:
        return iter(self._schemas)

    def get(self, name: str) -> Mapping[str, Any] | None:
        schema = self._schemas.get(name)
        return schema if isinstance(schema, Mapping) else None

    # ------------------------------------------------------------------------------------- by GVK

    def _gvk_index(self) -> dict[GVK, str]:
        if self._by_gvk is None:
            index: dict[GVK, str] = {}
            for name, schema in self._schemas.items():
                if not isinstance(schema, Mapping):
                    continue
                for gvk in gvks_of(schema):
                    # the first definition wins; later duplicates come from generic types (WatchEvent)
                    index.setdefault(gvk, name)
            self._by_gvk = index
        return self._by_gvk

    def definition_for(self, gvk: GVK) -> str | None:
        """The definition whose ``x-kubernetes-group-version-kind`` names ``gvk``."""
        return self._gvk_index().get(gvk)

    def kinds(self) -> dict[GVK, str]:
        """Every GVK with its definition name."""
        return dict(self._gvk_index())

    # ------------------------------------------------------------------------------------- resolving

    def resolve(self, schema: Mapping[str, Any]) -> tuple[Mapping[str, Any], str | None, dict[str, Any]]:
        """Follow ``$ref`` and ``allOf: [{$ref}]`` wrappers.

        Returns (the definition's schema, its name or None, the wrapper's own keys such as
        ``description``/``default``/``x-kubernetes-*``, which win over the definition's)."""
        overrides: dict[str, Any] = {}
        name: str | None = None
        current: Mapping[str, Any] = schema
        for _ in range(_MAX_REF_HOPS):
            target = ref_name(current.get("$ref"))
            if target is None:
                all_of = current.get("allOf")
                if isinstance(all_of, list) and all_of:
                    refs = [ref_name(s.get("$ref")) for s in all_of if isinstance(s, Mapping)]
                    target = next((r for r in refs if r), None)
            if target is None:
                return current, name, overrides
            for k, v in current.items():
                if k not in ("$ref", "allOf"):
                    overrides.setdefault(k, v)
            nxt = self._schemas.get(target)
            if not isinstance(nxt, Mapping):
                # a dangling ref: show the field with what the wrapper says, as an opaque object
                return {"type": "object", "x-webexplorer-missing-ref": target}, target, overrides
            name, current = target, nxt
        raise CatalogError(f"reference chain too long at {name!r}")

    def merged(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        """One schema node with its references followed: the definition's keys, overlaid by the
        wrappers' and the node's own (a field's ``description``/``default`` win over its type's)."""
        resolved, _, overrides = self.resolve(schema)
        own = {k: v for k, v in schema.items() if k not in ("$ref", "allOf")}
        if not overrides and not own.keys() - resolved.keys() and resolved is schema:
            return schema
        return {**resolved, **overrides, **own}

    def type_of(
        self, schema: Mapping[str, Any], _depth: int = 0
    ) -> tuple[TypeInfo, Mapping[str, Any] | None]:
        """The type of a (property) schema and the schema holding its child fields (or None)."""
        resolved, name, overrides = self.resolve(schema)
        if _depth > 32:
            return TypeInfo("any"), None
        merged = {**resolved, **overrides}
        fmt = merged.get("format") if isinstance(merged.get("format"), str) else ""
        if merged.get("x-kubernetes-int-or-string") is True or fmt == "int-or-string":
            return TypeInfo("int-or-string", name, format=""), None
        typ = resolved.get("type")
        if isinstance(typ, list):  # JSON-schema style ["string", "null"]
            typ = next((t for t in typ if isinstance(t, str) and t != "null"), None)
        items = resolved.get("items")
        if typ == "array" or (typ is None and isinstance(items, Mapping)):
            if isinstance(items, Mapping):
                item, child = self.type_of(items, _depth + 1)
                return TypeInfo("array", name, item, fmt or ""), child
            return TypeInfo("array", name, TypeInfo("any")), None
        props = resolved.get("properties")
        additional = resolved.get("additionalProperties")
        if isinstance(props, Mapping) and props:
            return TypeInfo("object", name, format=fmt or ""), resolved
        if isinstance(additional, Mapping):
            item, child = self.type_of(additional, _depth + 1)
            return TypeInfo("map", name, item), child
        if typ in ("string", "integer", "number", "boolean"):
            return TypeInfo(str(typ), name, format=fmt or ""), None
        if typ is None:
            typ = _one_of_type(resolved)
        if typ in ("string", "integer", "number", "boolean"):
            return TypeInfo(str(typ), name, format=fmt or ""), None
        if typ == "object" or name is not None:
            return TypeInfo("object", name, format=fmt or ""), None
        return TypeInfo("any", name, format=fmt or ""), None

    # ------------------------------------------------------------------------------------- fields

    def fields(
        self, schema: Mapping[str, Any], prefix: str = "", ancestors: frozenset[str] = frozenset()
    ) -> tuple[Field, ...]:
        """One level of fields of an object schema (resolved first), in document order."""
        resolved, name, _ = self.resolve(schema)
        props = resolved.get("properties")
        if not isinstance(props, Mapping):
            return ()
        if name is not None:
            ancestors = ancestors | {name}
        req = resolved.get("required")
        required = {r for r in req if isinstance(r, str)} if isinstance(req, list) else set()
        out = []
        for key, prop in props.items():
            if not isinstance(key, str) or not isinstance(prop, Mapping):
                continue
            out.append(self._field(key, prop, f"{prefix}{key}", key in required, ancestors))
        return tuple(out)

    def _field(
        self, key: str, prop: Mapping[str, Any], path: str, required: bool, ancestors: frozenset[str]
    ) -> Field:
        merged = self.merged(prop)
        typ, child = self.type_of(prop)
        element_ref = typ.element.ref
        recursive = element_ref is not None and element_ref in ancestors
        description = merged.get("description")
        enum = merged.get("enum")
        fmt = merged.get("format")
        return Field(
            name=key,
            path=path,
            type=typ,
            description=description if isinstance(description, str) else "",
            required=required,
            enum=tuple(enum) if isinstance(enum, list) else (),
            default=_meaningful_default(merged.get("default"), typ),
            format=fmt if isinstance(fmt, str) else "",
            extensions=MappingProxyType(extensions_of(merged)),
            recursive=recursive,
            child_schema=child,
            schema=merged,
        )

    def _root(self, root: str | Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
        if isinstance(root, str):
            schema = self.get(root)
            if schema is None:
                raise CatalogError(f"no definition named {root!r}")
            return {"$ref": f"#/definitions/{root}"}, root
        return root, ""

    def field_at(self, root: str | Mapping[str, Any], path: str) -> Field | None:
        """The field at a dotted ``path`` (arrays and maps are stepped through), or None."""
        schema, _ = self._root(root)
        ancestors: frozenset[str] = frozenset()
        found: Field | None = None
        prefix = ""
        for part in [p for p in path.split(".") if p]:
            if found is not None:
                if found.child_schema is None:
                    return None
                schema = found.child_schema
            _, name, _ = self.resolve(schema)
            fields = self.fields(schema, prefix, ancestors)
            if name is not None:
                ancestors = ancestors | {name}
            found = next((f for f in fields if f.name == part), None)
            if found is None:
                return None
            prefix = f"{found.path}."
        return found

    def field_tree(self, root: str | Mapping[str, Any], path: str = "", depth: int | None = 1) -> FieldTree:
        """The fields under ``path`` of ``root`` (a definition name or a schema), expanded ``depth``
        levels (None: all the way, as ``kubectl explain --recursive``; recursive refs stop it).
        Raises :class:`CatalogError` for an unknown definition or path."""
        if not isinstance(root, str):
            return self._field_tree(root, path, depth)
        key = (root, path, depth)
        tree = self._trees.get(key)
        if tree is None:
            tree = self._field_tree(root, path, depth)  # errors are not kept: they are rare and cheap
            if len(self._trees) >= self.TREE_CACHE_SIZE:
                del self._trees[next(iter(self._trees))]
            self._trees[key] = tree
        return tree

    def _field_tree(self, root: str | Mapping[str, Any], path: str, depth: int | None) -> FieldTree:
        schema, root_name = self._root(root)
        if path:
            at = self.field_at(root, path)
            if at is None:
                raise CatalogError(f"{short_name(root_name) or 'schema'} has no field {path!r}")
            typ, child, description, ext = at.type, at.child_schema, at.description, at.extensions
            node = at.schema
            ancestors = self._ancestors(root, path)
            prefix = f"{path}."
        else:
            resolved, _, overrides = self.resolve(schema)
            typ, child = self.type_of(schema)
            desc = {**resolved, **overrides}.get("description")
            description = desc if isinstance(desc, str) else ""
            ext = MappingProxyType(extensions_of({**resolved, **overrides}))
            node = self.merged(schema)
            ancestors = frozenset()
            prefix = ""
        fields = self._expand(child, prefix, ancestors, depth) if child is not None else ()
        return FieldTree(root_name, path, typ, description, fields, ext, node)

    def _ancestors(self, root: str | Mapping[str, Any], path: str) -> frozenset[str]:
        """Definition names on the way from ``root`` down to (and including) the field at ``path``."""
        names: set[str] = set()
        if isinstance(root, str):
            names.add(root)
        parts = [p for p in path.split(".") if p]
        for i in range(1, len(parts) + 1):
            f = self.field_at(root, ".".join(parts[:i]))
            if f is not None and f.ref:
                names.add(f.ref)
        return frozenset(names)

    def _expand(
        self, schema: Mapping[str, Any], prefix: str, ancestors: frozenset[str], depth: int | None
    ) -> tuple[Field, ...]:
        _, name, _ = self.resolve(schema)
        here = ancestors | {name} if name else ancestors
        fields = self.fields(schema, prefix, ancestors)
        if depth is not None and depth <= 1:
            return fields
        out = []
        for f in fields:
            if f.child_schema is not None and not f.recursive:
                below = here | {f.ref} if f.ref else here
                kids = self._expand(f.child_schema, f"{f.path}.", below, None if depth is None else depth - 1)
                out.append(_with_children(f, kids))
            else:
                out.append(f)
        return tuple(out)

    def walk(self, root: str | Mapping[str, Any], max_depth: int = 12) -> Iterator[Field]:
        """Every field under ``root``, depth first, stopping at recursive refs and ``max_depth``:
        what the search index reads."""
        schema, root_name = self._root(root)
        stack: list[tuple[Mapping[str, Any], str, frozenset[str], int]] = [
            (schema, "", frozenset({root_name}) if root_name else frozenset(), 0)
        ]
        while stack:
            current, prefix, ancestors, level = stack.pop()
            _, name, _ = self.resolve(current)
            here = ancestors | {name} if name else ancestors
            for f in self.fields(current, prefix, ancestors):
                yield f
                if f.child_schema is not None and not f.recursive and level + 1 < max_depth:
                    below = here | {f.ref} if f.ref else here
                    stack.append((f.child_schema, f"{f.path}.", below, level + 1))


def _meaningful_default(value: Any, typ: TypeInfo) -> Any:
    """v3 marks every struct reference with ``default: {}`` (Go's zero value), which v2 does not: drop
    it on objects so fields read the same from either version. Real defaults (``"RollingUpdate"``,
    ``1``, a non-empty object) are kept."""
    if value == {} and typ.name == "object":
        return None
    return value


def _one_of_type(schema: Mapping[str, Any]) -> str | None:
    """The type of a ``oneOf``/``anyOf`` of primitives (v3 writes Quantity as string-or-number):
    string when any member is a string, else the first member's type."""
    for key in ("oneOf", "anyOf"):
        members = schema.get(key)
        if isinstance(members, list) and members:
            types = [m.get("type") for m in members if isinstance(m, Mapping)]
            if "string" in types:
                return "string"
            return next((t for t in types if isinstance(t, str)), None)
    return None


def _with_children(f: Field, children: tuple[Field, ...]) -> Field:
    return Field(
        f.name,
        f.path,
        f.type,
        f.description,
        f.required,
        f.enum,
        f.default,
        f.format,
        f.extensions,
        f.recursive,
        children,
        f.child_schema,
        f.schema,
    )


def gvks_of(schema: Mapping[str, Any]) -> list[GVK]:
    """The ``x-kubernetes-group-version-kind`` entries of a schema (or of an operation)."""
    raw = schema.get("x-kubernetes-group-version-kind")
    entries = raw if isinstance(raw, list) else [raw] if isinstance(raw, Mapping) else []
    out = []
    for e in entries:
        if isinstance(e, Mapping):
            g, v, k = e.get("group", ""), e.get("version"), e.get("kind")
            if isinstance(g, str) and isinstance(v, str) and isinstance(k, str) and v and k:
                out.append(GVK(g, v, k))
    return out
