"""OpenAPI v3 (``/openapi/v3`` index + one document per group version) → :class:`ApiDocument`.

The index maps ``api/v1``, ``apis/apps/v1``, ... to ``serverRelativeURL``s carrying ``?hash=``; a
document at a given hash never changes, so documents are cached by that URL for as long as the index
names it (see :mod:`.openapi`). Each document is self-contained (``components.schemas`` repeats shared
types such as ObjectMeta), which is what lets a page fetch only the one group version it shows.
``requestBody.content`` and ``responses.*.content`` become content types, so an operation reads the same
as its v2 twin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .apidoc import ApiDocument
from .errors import CatalogError
from .jsonutil import JSONDict, get_dict, get_str
from .model import split_group_version
from .openapi_common import read_operations, schema_ref, shared_parameter_resolver
from .operations import OperationIndex, RequestBody, Response
from .schema import SchemaSet

_PARAM_PREFIX = "#/components/parameters/"


@dataclass(frozen=True, slots=True)
class V3Entry:
    """One entry of the v3 index. ``group``/``version`` are None for non-group-version documents
    (``version``, ``logs``, ``.well-known/openid-configuration``, ``api``, ``apis/apps``...)."""

    key: str  # "api/v1", "apis/apps/v1", "version"
    url: str  # server-relative, with ?hash=
    group: str | None
    version: str | None

    @property
    def group_version(self) -> tuple[str, str] | None:
        if self.group is None or self.version is None:
            return None
        return self.group, self.version


def entry_group_version(key: str) -> tuple[str, str] | None:
    """``api/v1`` → ("", "v1"); ``apis/apps/v1`` → ("apps", "v1"); others → None."""
    parts = key.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "api":
        return "", parts[1]
    if len(parts) == 3 and parts[0] == "apis":
        return split_group_version(f"{parts[1]}/{parts[2]}")
    return None


def parse_index(doc: JSONDict) -> tuple[V3Entry, ...]:
    """The entries of ``/openapi/v3``; raises :class:`CatalogError` when it has no ``paths`` object."""
    paths = doc.get("paths")
    if not isinstance(paths, Mapping):
        raise CatalogError("the /openapi/v3 index has no 'paths' object", path="/openapi/v3")
    out = []
    for key, value in paths.items():
        url = get_str(value, "serverRelativeURL")
        if not isinstance(key, str) or not url.startswith("/"):
            continue
        gv = entry_group_version(key)
        out.append(V3Entry(key, url, gv[0] if gv else None, gv[1] if gv else None))
    return tuple(out)


def _content_types(obj: object) -> tuple[tuple[str, ...], str | None]:
    content = get_dict(obj, "content")
    ref = None
    for media in content.values():
        ref = ref or schema_ref(get_dict(media, "schema"))
    return tuple(sorted(k for k in content if isinstance(k, str))), ref


def parse_v3(doc: JSONDict, *, where: str = "/openapi/v3") -> ApiDocument:
    """Read one OpenAPI 3 document. Raises :class:`CatalogError` when it is not one."""
    if not get_str(doc, "openapi").startswith("3"):
        raise CatalogError(f"{where} is not an OpenAPI 3 document", path=where)
    components = get_dict(doc, "components")
    shared = get_dict(components, "parameters")

    resolve = shared_parameter_resolver(shared, _PARAM_PREFIX)

    def bodies(
        op: Mapping[str, Any], params: list[Mapping[str, Any]]
    ) -> tuple[RequestBody | None, tuple[Response, ...], tuple[str, ...], tuple[str, ...]]:
        body = None
        consumes: tuple[str, ...] = ()
        raw_body = op.get("requestBody")
        if isinstance(raw_body, Mapping):
            consumes, ref = _content_types(raw_body)
            required = raw_body.get("required") is True
            body = RequestBody(ref, consumes, required, get_str(raw_body, "description"))
        responses = []
        produces: dict[str, None] = {}
        raw_responses = op.get("responses")
        if isinstance(raw_responses, Mapping):
            for status, r in raw_responses.items():
                if isinstance(r, Mapping):
                    types, ref = _content_types(r)
                    produces.update(dict.fromkeys(types))
                    responses.append(Response(str(status), get_str(r, "description"), ref, types))
        return body, tuple(responses), consumes, tuple(produces)

    operations, skipped = read_operations(doc.get("paths"), resolve, bodies)
    return ApiDocument(
        openapi="v3",
        operations=OperationIndex(operations),
        schemas=SchemaSet(get_dict(components, "schemas")),
        title=get_str(get_dict(doc, "info"), "title"),
        skipped=skipped,
    )
