"""The call in JavaScript (ES modules, Node.js) with ``@kubernetes/client-node``.

Its 1.x API takes one object of named parameters (``api.createNamespacedPod({namespace, body})``);
the class and method are the ones :mod:`.generated` names, the parameters keep their OpenAPI names
(``continue`` is ``_continue``), and a patch sets its content type with
``setHeaderOptions("Content-Type", PatchStrategy...)``. Watches use the library's ``Watch`` on the
collection path (the API classes have no watch methods). ``KubeConfig.loadFromDefault()`` reads the
kubeconfig, else the pod's service account — never a token in the text.
"""

from __future__ import annotations

import json
from dataclasses import replace

from . import generated
from .call import Call, Code, literal_json

LIBRARY = "javascript"
#: the version the snippets are written for: 2.x needs Node.js 22 (undici 8); 1.4 runs on Node.js 20
VERSION = "1.4"
#: what the served API (Kubernetes 1.37) has and client-node 1.4's generated classes do not (a test
#: checks each entry against the installed package): such calls go through CustomObjectsApi, which
#: addresses any group, version and plural, and such parameters are not carried
NEWER_GROUP_VERSIONS = frozenset({("storagemigration.k8s.io", "v1")})
NEWER_RESOURCES = frozenset(
    {
        ("admissionregistration.k8s.io", "mutatingadmissionpolicies", ""),
        ("admissionregistration.k8s.io", "mutatingadmissionpolicybindings", ""),
        ("certificates.k8s.io", "clustertrustbundles", ""),
        ("certificates.k8s.io", "podcertificaterequests", ""),
        ("certificates.k8s.io", "podcertificaterequests", "status"),
        ("resource.k8s.io", "devicetaintrules", ""),
        ("resource.k8s.io", "devicetaintrules", "status"),
        ("storage.k8s.io", "csinodes", "status"),
    }
)
NEWER_PARAMS = frozenset({"shardSelector"})
PATCH_STRATEGIES = {
    "application/json-patch+json": "JsonPatch",
    "application/merge-patch+json": "MergePatch",
    "application/strategic-merge-patch+json": "StrategicMergePatch",
    "application/apply-patch+yaml": "ServerSideApply",
}
_HEAD = [
    'import * as k8s from "@kubernetes/client-node";',
    "",
    "const kc = new k8s.KubeConfig();",
    "kc.loadFromDefault(); // KUBECONFIG, ~/.kube/config, else the pod's service account",
]


def _key(name: str) -> str:
    return "_continue" if name == "continue" else name


def _js(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def untyped(call: Call) -> bool:
    """The call's kind (or subresource) is newer than client-node 1.4's classes."""
    return call.builtin and (
        (call.group, call.version) in NEWER_GROUP_VERSIONS
        or (call.group, call.resource, call.subresource) in NEWER_RESOURCES
    )


def library_call(call: Call) -> tuple[Call, tuple[str, ...]]:
    """The call as this library can make it (newer kinds as custom objects, newer parameters left out),
    and the parameters left out."""
    dropped = tuple(p.name for p in call.params if p.name in NEWER_PARAMS)
    params = tuple(p for p in call.params if p.name not in NEWER_PARAMS)
    return replace(call, params=params, builtin=call.builtin and not untyped(call)), dropped


def snippet(call: Call) -> Code:
    mine, newer = library_call(call)
    how = generated.invocation(mine, "@kubernetes/client-node")
    if isinstance(how, str):
        return Code(LIBRARY, "", how)
    lines = list(_HEAD)
    if untyped(call):
        lines.append(
            f"// client-node {VERSION} has no class for {call.resource} in {call.group_version} (newer than "
            "its API): CustomObjectsApi addresses it by group, version and plural"
        )
    if newer:
        lines.append(f"// not carried: {', '.join(newer)} (newer than client-node {VERSION})")
    if how.body:
        lines.append(f"const body = {literal_json(call.body)};")
    if how.watch:
        query = [(p.name, p.value) for p in how.options]
        params = "{ " + ", ".join(f"{k}: {_js(v)}" for k, v in query) + " }" if query else "{}"
        if mine.watch_by_name:
            lines.append("// one object is watched as its collection with a field selector (the same events)")
        lines += [
            "const watch = new k8s.Watch(kc);",
            "await watch.watch(",
            f"  {_js(call.collection_path)},",
            f"  {params},",
            "  (type, object) => console.log(JSON.stringify({ type, object })),",
            "  (err) => { if (err) { console.error(err); process.exitCode = 1; } },",
            ");",
        ]
        return Code(LIBRARY, "\n".join(lines))
    lines.append(f"const api = kc.makeApiClient(k8s.{how.api_class});")
    if how.dropped:
        lines.append(
            f"// not carried: {', '.join(how.dropped)} ({how.api_class}.{how.method} has no such parameter)"
        )
    fields = [f"  {k}: {_js(v)}," for k, v in how.args]
    if how.body:
        fields.append("  body,")
    if mine.dry_run:
        fields.append('  dryRun: "All",')
    fields += [f"  {_key(p.name)}: {_js(p.value)}," for p in how.options]
    params = "{\n" + "\n".join(fields) + "\n}" if fields else ""
    options = ""
    if how.content_type:
        strategy = PATCH_STRATEGIES.get(how.content_type)
        value = f"k8s.PatchStrategy.{strategy}" if strategy else _js(how.content_type)
        options = f', k8s.setHeaderOptions("Content-Type", {value})'
    lines.append(f"const result = await api.{how.method}({params}{options});")
    text = call.subresource == "log" or call.verb == "connect"
    lines.append("console.log(result);" if text else "console.log(JSON.stringify(result, null, 2));")
    return Code(LIBRARY, "\n".join(lines))
