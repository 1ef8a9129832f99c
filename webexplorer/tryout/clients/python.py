"""The call in Python with the ``kubernetes`` package (PyPI), the way its generated API is used.

Built-in kinds go through the typed API class and method :mod:`.generated` names, in snake case
(``CoreV1Api().create_namespaced_config_map``); custom resources through ``CustomObjectsApi``;
watches through ``watch.Watch().stream`` over the list method (the package has no watch methods); a
patch names its content type with ``_content_type``. Configuration is ``config.load_config()``: the
kubeconfig, else the pod's service account — never a token in the text. Bodies are plain dicts, which
every method takes as they are.
"""

from __future__ import annotations

import json
from typing import Any

from . import generated
from .call import Call, Code, snake

LIBRARY = "python"
#: CustomObjectsApi's list methods take no ``continue`` in this package (the JavaScript one does)
_CUSTOM_OPTIONS = {**generated.CUSTOM_OPTIONS, "list": generated.CUSTOM_OPTIONS["list"] - {"continue"}}


def argument(name: str) -> str:
    """An OpenAPI parameter's keyword: ``fieldManager`` → ``field_manager``, ``continue`` →
    ``_continue`` (a Python keyword)."""
    return "_continue" if name == "continue" else snake(name)


def literal(value: Any, indent: int = 0) -> str:
    """``value`` (parsed JSON) as Python source, indented like hand-written code."""
    pad, inner = "    " * indent, "    " * (indent + 1)
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k)}: {literal(v, indent + 1)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value:
        return "[\n" + "\n".join(f"{inner}{literal(v, indent + 1)}," for v in value) + f"\n{pad}]"
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return "None"
    return json.dumps(value, ensure_ascii=False)


def keywords(call: Call, how: generated.Invocation) -> list[tuple[str, str]]:
    """The method's keyword arguments as ``(name, Python source)``."""
    all_namespaces = how.method == "listCustomObjectForAllNamespaces"
    args = [("resource_plural" if all_namespaces and k == "plural" else k, literal(v)) for k, v in how.args]
    if how.body:
        args.append(("body", "body"))
    if call.dry_run:
        args.append(("dry_run", '"All"'))
    args += [(argument(p.name), literal(p.value)) for p in how.options]
    if how.content_type:
        args.append(("_content_type", json.dumps(how.content_type)))
    return args


def snippet(call: Call) -> Code:
    how = generated.invocation(call, "The kubernetes package", _CUSTOM_OPTIONS)
    if isinstance(how, str):
        return Code(LIBRARY, "", how)
    method = snake(how.method)
    imports = "from kubernetes import client, config" + (", watch" if how.watch else "")
    text = call.subresource == "log" or call.verb == "connect"
    lines = [imports, ""] if text else ["import json", "", imports, ""]
    lines += [
        "config.load_config()  # the kubeconfig (KUBECONFIG, ~/.kube/config), else the pod's service account",
        f"api = client.{how.api_class}()",
    ]
    if how.dropped:
        lines.append(
            f"# not carried: {', '.join(how.dropped)} ({how.api_class}.{method} has no such argument)"
        )
    if how.body:
        lines.append(f"body = {literal(call.body)}")
    args = "".join(f"\n    {k}={v}," for k, v in keywords(call, how))
    if how.watch:
        if call.watch_by_name:
            lines.append("# one object is watched as its collection with a field selector (the same events)")
        lines += [
            f"for event in watch.Watch().stream(\n    api.{method},{args}\n):",
            '    print(json.dumps({"type": event["type"], "object": event["raw_object"]}))',
        ]
        return Code(LIBRARY, "\n".join(lines))
    lines.append(f"result = api.{method}({args}\n)" if args else f"result = api.{method}()")
    if text:
        lines.append("print(result)")
    elif how.custom:
        lines.append("print(json.dumps(result, indent=2))")
    else:  # a model, or a dict where the answer is not the documented type (a delete's object)
        lines.append("print(json.dumps(api.api_client.sanitize_for_serialization(result), indent=2))")
    return Code(LIBRARY, "\n".join(lines))
