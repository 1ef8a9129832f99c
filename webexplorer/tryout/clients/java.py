"""The call in Java with Fabric8's kubernetes-client (Maven Central), as in the book's listing 8.17.

The DSL is the library's: an entry point per kind (``client.configMaps()``, ``client.apps().deployments()``,
``client.resources(Kind.class)`` for the other typed kinds of the table, and
``client.genericKubernetesResources(apiVersion, kind)`` for custom resources and the rest), then
``inNamespace(ns)``, ``withName(name)`` or ``resource(body)`` and the verb (``get``, ``list(options)``,
``create``, ``update``, ``patch(PatchContext, json)``, ``serverSideApply`` through the same patch,
``delete``, ``scale``). Where the DSL has no way to say an option the request carries (a field manager
on create, a status read, other subresources, a collection delete by an arbitrary selector), the
snippet sends the exact request through the client's own HTTP client, which holds the same credentials,
and says so. ``new KubernetesClientBuilder().build()`` reads the kubeconfig, else the pod's service
account — never a token in the text.
"""

from __future__ import annotations

import json

from .call import LIST_OPTIONS, STREAMED, Call, Code, Param, Value, literal_json, stream_sentence

LIBRARY = "java"
#: the Java package of the model classes of the group versions the typed DSL is used for
MODEL_PACKAGES = {
    ("", "v1"): "io.fabric8.kubernetes.api.model",
    ("apps", "v1"): "io.fabric8.kubernetes.api.model.apps",
    ("batch", "v1"): "io.fabric8.kubernetes.api.model.batch.v1",
    ("rbac.authorization.k8s.io", "v1"): "io.fabric8.kubernetes.api.model.rbac",
}
#: the DSL's own entry points (any other kind of the table is ``client.resources(Kind.class)``)
ENTRY_POINTS = {
    ("", "pods"): "client.pods()",
    ("", "configmaps"): "client.configMaps()",
    ("", "services"): "client.services()",
    ("", "secrets"): "client.secrets()",
    ("", "namespaces"): "client.namespaces()",
    ("", "nodes"): "client.nodes()",
    ("", "serviceaccounts"): "client.serviceAccounts()",
    ("", "persistentvolumes"): "client.persistentVolumes()",
    ("", "persistentvolumeclaims"): "client.persistentVolumeClaims()",
    ("apps", "deployments"): "client.apps().deployments()",
    ("apps", "statefulsets"): "client.apps().statefulSets()",
    ("apps", "daemonsets"): "client.apps().daemonSets()",
    ("apps", "replicasets"): "client.apps().replicaSets()",
    ("batch", "jobs"): "client.batch().v1().jobs()",
    ("batch", "cronjobs"): "client.batch().v1().cronjobs()",
}
PATCH_TYPES = {
    "application/json-patch+json": "PatchType.JSON",
    "application/merge-patch+json": "PatchType.JSON_MERGE",
    "application/strategic-merge-patch+json": "PatchType.STRATEGIC_MERGE",
    "application/apply-patch+yaml": "PatchType.SERVER_SIDE_APPLY",
}
_LONGS = {"limit", "timeoutSeconds", "gracePeriodSeconds"}
#: what each verb's DSL can say besides dry run
_DSL_OPTIONS = {
    "get": frozenset(),
    "list": frozenset(LIST_OPTIONS),
    "watch": frozenset(LIST_OPTIONS),
    "create": frozenset(),
    "update": frozenset(),
    "patch": frozenset({"fieldManager", "fieldValidation", "force"}),
    "apply": frozenset({"fieldManager", "fieldValidation", "force"}),
    "delete": frozenset({"propagationPolicy", "gracePeriodSeconds"}),
}
_IMPORTS = {
    "KubernetesClient ": "io.fabric8.kubernetes.client.KubernetesClient",
    "KubernetesClientBuilder": "io.fabric8.kubernetes.client.KubernetesClientBuilder",
    "GenericKubernetesResource": "io.fabric8.kubernetes.api.model.GenericKubernetesResource",
    "ListOptionsBuilder": "io.fabric8.kubernetes.api.model.ListOptionsBuilder",
    "DeletionPropagation": "io.fabric8.kubernetes.api.model.DeletionPropagation",
    "PatchContext": "io.fabric8.kubernetes.client.dsl.base.PatchContext",
    "PatchType": "io.fabric8.kubernetes.client.dsl.base.PatchType",
    "Watcher": "io.fabric8.kubernetes.client.Watcher",
    "WatcherException": "io.fabric8.kubernetes.client.WatcherException",
    "CountDownLatch": "java.util.concurrent.CountDownLatch",
    "TimeUnit": "java.util.concurrent.TimeUnit",
    "List.of": "java.util.List",
    "URL(": "java.net.URL",
}


def _java(value: Value, name: str = "") -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}L" if name in _LONGS else str(value)
    return json.dumps(value)


def _text_block(value: object) -> str:
    """JSON as a Java text block (backslashes and triple quotes escaped)."""
    text = literal_json(value).replace("\\", "\\\\").replace('"""', '\\"""')
    indented = "\n".join("                " + line for line in text.splitlines())
    return f'"""\n{indented}\n                """'


def typed_class(call: Call) -> tuple[str, str] | None:
    """(package, class) of the call's kind where the typed DSL is used, else None."""
    package = MODEL_PACKAGES.get((call.group, call.version))
    if package is None or not call.builtin or not call.kind:
        return None
    return package, call.kind


def _operation(call: Call) -> str:
    typed = typed_class(call)
    if typed is None:
        base = f"client.genericKubernetesResources({_java(call.group_version)}, {_java(call.kind)})"
    else:
        base = ENTRY_POINTS.get((call.group, call.resource), f"client.resources({typed[1]}.class)")
    if call.namespaced:
        return f"{base}.inNamespace({_java(call.namespace)})"
    return f"{base}.inAnyNamespace()" if call.all_namespaces else base


def _dsl(call: Call, params: tuple[Param, ...]) -> bool:
    verb = call.verb or ""
    if verb not in _DSL_OPTIONS or not call.resource or not call.kind:
        return False
    if not {p.name for p in params} <= _DSL_OPTIONS[verb]:
        return False
    if verb == "delete" and call.dry_run and params:
        return False
    sub = call.subresource
    if verb == "get":
        return sub in ("", "scale")
    if verb == "update":  # update() without a resourceVersion takes the object's current one first
        versioned = isinstance(call.body, dict) and bool(call.body.get("metadata", {}).get("resourceVersion"))
        return sub in ("", "status") and versioned
    if verb in ("patch", "apply"):
        return sub in ("", "status")
    return sub == ""


def _setter(name: str) -> str:
    """``labelSelector`` → ``LabelSelector`` (a builder's ``with...``)."""
    return name[:1].upper() + name[1:]


def _list_options(params: tuple[Param, ...]) -> str:
    if not params:
        return "new ListOptionsBuilder().build()"
    chain = "".join(f"\n                    .with{_setter(p.name)}({_java(p.value, p.name)})" for p in params)
    return f"new ListOptionsBuilder(){chain}\n                    .build()"


def snippet(call: Call) -> Code:
    if call.subresource in STREAMED:
        helper = "client.pods().withName(...).exec(...), attach() or portForward(...)"
        return Code(LIBRARY, "", stream_sentence(call.subresource, "Fabric8", helper))
    params = call.options
    lines = _dsl_lines(call, params) if _dsl(call, params) else _raw_lines(call)
    body = "\n".join(lines)
    typed = typed_class(call)
    always = ("KubernetesClient ", "KubernetesClientBuilder")
    imports = [imp for word, imp in _IMPORTS.items() if word in body or word in always]
    if typed is not None and f"{typed[1]}" in body:
        imports.append(f"{typed[0]}.{typed[1]}")
    if "Scale " in body:
        imports.append("io.fabric8.kubernetes.api.model.autoscaling.v1.Scale")
    head = "\n".join(f"import {i};" for i in sorted(set(imports)))
    code = (
        f"{head}\n\npublic class Snippet {{\n    public static void main(String[] args) throws Exception {{\n"
        "        // the kubeconfig (KUBECONFIG, ~/.kube/config), else the pod's service account\n"
        "        try (KubernetesClient client = new KubernetesClientBuilder().build()) {\n"
        f"{body}\n        }}\n    }}\n}}\n"
    )
    return Code(LIBRARY, code)


def _print(expr: str) -> str:
    return f"            System.out.println(client.getKubernetesSerialization().asJson({expr}));"


def _dsl_lines(call: Call, params: tuple[Param, ...]) -> list[str]:
    verb = call.verb or ""
    ops = _operation(call)
    typed = typed_class(call)
    kind = typed[1] if typed is not None else "GenericKubernetesResource"
    lines: list[str] = []
    if call.body is not None and verb not in ("patch", "apply"):
        unmarshal = f"client.getKubernetesSerialization().unmarshal({_text_block(call.body)}, {kind}.class)"
        lines.append(f"            {kind} body = {unmarshal};")
    name = _java(call.name)
    dry = ".dryRun()" if call.dry_run else ""
    if verb == "get" and call.subresource == "scale":
        return [*lines, f"            Scale result = {ops}.withName({name}).scale();", _print("result")]
    if verb == "get":
        return [
            *lines,
            f"            {kind} result = {ops}.withName({name}).get();",
            "            // Fabric8's get answers null for an object that does not exist",
            "            if (result == null) {",
            '                System.err.println("not found");',
            "                System.exit(1);",
            "            }",
            _print("result"),
        ]
    if verb == "list":
        return [*lines, f"            var result = {ops}.list({_list_options(params)});", _print("result")]
    if verb == "watch":
        timeout = next((p.value for p in params if p.name == "timeoutSeconds"), None)
        wait = (
            "            // Fabric8 opens a watch again when the server ends it: stop after timeoutSeconds\n"
            f"            latch.await({timeout} + 2, TimeUnit.SECONDS);"
            if isinstance(timeout, int)
            else "            latch.await();"
        )
        return [
            *lines,
            "            CountDownLatch latch = new CountDownLatch(1);",
            f"            try (var watch = {ops}.watch({_list_options(params)}, new Watcher<{kind}>() {{",
            "                @Override",
            f"                public void eventReceived(Action action, {kind} object) {{",
            '                    System.out.println("{\\"type\\":\\"" + action + "\\",\\"object\\":"',
            '                        + client.getKubernetesSerialization().asJson(object) + "}");',
            "                }",
            "                @Override",
            "                public void onClose(WatcherException cause) {",
            "                    latch.countDown();",
            "                }",
            "            })) {",
            "    " + wait.replace("\n", "\n    "),
            "            }",
        ]
    if verb == "create":
        return [*lines, f"            {kind} result = {ops}.resource(body){dry}.create();", _print("result")]
    if verb == "update":
        method = "updateStatus" if call.subresource == "status" else "update"
        return [
            *lines,
            f"            {kind} result = {ops}.resource(body){dry}.{method}();",
            _print("result"),
        ]
    if verb in ("patch", "apply"):
        context = [f"withPatchType({PATCH_TYPES[call.patch_type]})"]
        if call.dry_run:
            context.append('withDryRun(List.of("All"))')
        for p in params:
            context.append(f"with{_setter(p.name)}({_java(p.value)})")
        builder = "".join(f"\n                    .{c}" for c in context)
        target = f"{ops}.withName({name})" + ('.subresource("status")' if call.subresource else "")
        return [
            f"            String patch = {_text_block(call.body)};",
            f"            PatchContext context = new PatchContext.Builder(){builder}",
            "                    .build();",
            f"            {kind} result = {target}.patch(context, patch);",
            _print("result"),
        ]
    # delete
    chain = f"{ops}.withName({name})"
    for p in params:
        if p.name == "propagationPolicy":
            chain += f".withPropagationPolicy(DeletionPropagation.{str(p.value).upper()})"
        elif p.name == "gracePeriodSeconds":
            chain += f".withGracePeriod({_java(p.value, p.name)})"
    return [
        "            // Fabric8's delete answers status details: the deleted object is not returned",
        f"            {chain}{dry}.delete();",
    ]


def _raw_lines(call: Call) -> list[str]:
    """The request through the client's HTTP client: the DSL cannot say all of it."""
    from urllib.parse import urlencode

    query = ([("dryRun", "All")] if call.dry_run else []) + [
        (p.name, str(p.value).lower() if isinstance(p.value, bool) else str(p.value)) for p in call.params
    ]
    target = call.path + ("?" + urlencode(query) if query else "")
    lines = [
        f"            // Fabric8's DSL cannot say all of {call.operation_id}: its HTTP client sends it",
        "            var http = client.getHttpClient();",
        "            var request = http.newHttpRequestBuilder()",
        f'                    .url(new URL(new URL(client.getMasterUrl(), "/"), {_java(target)}))',
    ]
    if call.body is not None:
        content_type = call.patch_type or "application/json"
        lines.insert(0, f"            String body = {_text_block(call.body)};")
        lines.append(f"                    .method({_java(call.method)}, {_java(content_type)}, body)")
    elif call.method != "GET":
        lines.append(f'                    .method({_java(call.method)}, "application/json", "")')
    lines += [
        "                    .build();",
        "            var response = http.sendAsync(request, String.class).get();",
        "            if (response.code() >= 300) {",
        '                System.err.println(response.code() + " " + response.body());',
        "                System.exit(1);",
        "            }",
        "            System.out.println(response.body());",
    ]
    return lines
