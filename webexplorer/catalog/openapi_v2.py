"""OpenAPI v2 (``/openapi/v2``, one Swagger 2.0 document for the whole server) → :class:`ApiDocument`.

The v2 document of a cluster with a few hundred CRDs is 16 MB. It is parsed from bytes to a dict once
(orjson), the bytes are dropped by the caller, and the operations are indexed from the dict; the
``definitions`` dict is kept as is and read lazily by :class:`~.schema.SchemaSet`, so only one copy of
the document lives in memory. Shared parameters (``#/parameters/...``) are resolved as operations are
read; the ``body`` parameter becomes the operation's :class:`~.operations.RequestBody`, with
``consumes`` as its content types (for PATCH that is the list of patch types).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .apidoc import ApiDocument
from .errors import CatalogError
from .jsonutil import JSONDict, get_dict, get_str, str_tuple
from .openapi_common import read_operations, schema_ref, shared_parameter_resolver
from .operations import OperationIndex, RequestBody, Response
from .schema import SchemaSet

_PARAM_PREFIX = "#/parameters/"


def parse_v2(doc: JSONDict) -> ApiDocument:
    """Read a Swagger 2.0 document. Raises :class:`CatalogError` when it is not one."""
    if get_str(doc, "swagger") != "2.0" and "definitions" not in doc:
        raise CatalogError("the /openapi/v2 document is not a Swagger 2.0 document", path="/openapi/v2")
    shared = get_dict(doc, "parameters")
    global_consumes = str_tuple(doc.get("consumes"))
    global_produces = str_tuple(doc.get("produces"))

    resolve = shared_parameter_resolver(shared, _PARAM_PREFIX)

    def bodies(
        op: Mapping[str, Any], params: list[Mapping[str, Any]]
    ) -> tuple[RequestBody | None, tuple[Response, ...], tuple[str, ...], tuple[str, ...]]:
        # sorted, as v3's content maps are, so both versions list patch types alike
        consumes = tuple(sorted(str_tuple(op["consumes"]) if "consumes" in op else global_consumes))
        produces = tuple(sorted(str_tuple(op["produces"]) if "produces" in op else global_produces))
        body = None
        for p in params:
            if p.get("in") == "body":
                body = RequestBody(
                    schema_ref=schema_ref(p.get("schema")),
                    content_types=consumes,
                    required=p.get("required") is True,
                    description=get_str(p, "description"),
                )
        responses = []
        raw_responses = op.get("responses")
        if isinstance(raw_responses, Mapping):
            for status, r in raw_responses.items():
                if isinstance(r, Mapping):
                    ref = schema_ref(r.get("schema"))
                    responses.append(
                        Response(str(status), get_str(r, "description"), ref, produces if ref else ())
                    )
        return body, tuple(responses), consumes, produces

    operations, skipped = read_operations(doc.get("paths"), resolve, bodies)
    return ApiDocument(
        openapi="v2",
        operations=OperationIndex(operations),
        schemas=SchemaSet(get_dict(doc, "definitions")),
        title=get_str(get_dict(doc, "info"), "title"),
        skipped=skipped,
    )
