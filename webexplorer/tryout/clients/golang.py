"""The call in Go with client-go: the typed clientset for built-in kinds, the dynamic client for custom
resources (and the two built-in groups outside ``kubernetes.Clientset``: apiextensions, apiregistration).

The table is client-go's naming: a group version is a clientset method (``rbac.authorization.k8s.io/v1``
→ ``RbacV1()``), a kind's typed accessor is its plural (``NetworkPolicies(ns)``), each verb a method
with its options struct (``metav1.CreateOptions{DryRun: ...}``); the status and scale subresources have
their typed forms (``UpdateStatus``, ``GetScale``, ``Patch(..., "status")``). What the typed client has no
method for (another subresource, a status read, a path of no resource) goes through the same clientset's
REST client, which sends exactly the request. Bodies are unmarshalled into the typed object (the API's
own Go type), so what the program sends is what client-go builds. Configuration: clientcmd's default
loading rules (KUBECONFIG, ~/.kube/config), falling back to the pod's service account.
"""

from __future__ import annotations

import json
import re

from .call import LIST_OPTIONS, STREAMED, Call, Code, Param, Value, literal_json, stream_sentence

LIBRARY = "golang"
#: groups served by kube-apiserver whose clients are not in kubernetes.Clientset
OTHER_CLIENTSETS = frozenset({"apiextensions.k8s.io", "apiregistration.k8s.io"})
#: the Go package of a group's API types where it is not the group's first label
API_PACKAGES = {"internal.apiserver.k8s.io": "apiserverinternal"}
#: kinds whose Go plural is not the rule's
PLURALS = {"Endpoints": "Endpoints"}
_OPTIONS = {
    "get": "GetOptions",
    "list": "ListOptions",
    "watch": "ListOptions",
    "create": "CreateOptions",
    "update": "UpdateOptions",
    "patch": "PatchOptions",
    "apply": "PatchOptions",
    "delete": "DeleteOptions",
    "deletecollection": "DeleteOptions",
}
#: the fields of each options struct, by their OpenAPI names (the Go field is the name capitalised)
_FIELDS = {
    "GetOptions": {"resourceVersion"},
    "ListOptions": LIST_OPTIONS,
    "CreateOptions": {"fieldManager", "fieldValidation"},
    "UpdateOptions": {"fieldManager", "fieldValidation"},
    "PatchOptions": {"fieldManager", "fieldValidation", "force"},
    "DeleteOptions": {
        "gracePeriodSeconds",
        "propagationPolicy",
        "orphanDependents",
        "ignoreStoreReadErrorWithClusterBreakingPotential",
    },
}
#: fields that are pointers (set through ptr.To), with their Go type
_POINTERS = {
    "timeoutSeconds": "int64",
    "gracePeriodSeconds": "int64",
    "force": "bool",
    "orphanDependents": "bool",
    "sendInitialEvents": "bool",
    "ignoreStoreReadErrorWithClusterBreakingPotential": "bool",
    "propagationPolicy": "metav1.DeletionPropagation",
}
PATCH_TYPES = {
    "application/json-patch+json": "types.JSONPatchType",
    "application/merge-patch+json": "types.MergePatchType",
    "application/strategic-merge-patch+json": "types.StrategicMergePatchType",
    "application/apply-patch+yaml": "types.ApplyPatchType",
}
_IMPORTS = {
    "context.": '"context"',
    "json.": '"encoding/json"',
    "fmt.": '"fmt"',
    "metav1.": 'metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"',
    "types.": '"k8s.io/apimachinery/pkg/types"',
    "schema.": '"k8s.io/apimachinery/pkg/runtime/schema"',
    "unstructured.": '"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"',
    "kubernetes.": '"k8s.io/client-go/kubernetes"',
    "dynamic.": '"k8s.io/client-go/dynamic"',
    "clientcmd.": '"k8s.io/client-go/tools/clientcmd"',
    "ptr.": '"k8s.io/utils/ptr"',
}


def group_method(group: str, version: str) -> str:
    """``apps``/``v1`` → ``AppsV1``; the core group is ``CoreV1``."""
    first = group.split(".")[0] if group else "core"
    return first[:1].upper() + first[1:] + version[:1].upper() + version[1:]


def api_package(group: str, version: str) -> tuple[str, str]:
    """The import path of the group version's API types and its usual alias (``corev1``)."""
    name = API_PACKAGES.get(group, group.split(".")[0] if group else "core")
    return f"k8s.io/api/{name}/{version}", f"{name}{version}"


def plural(kind: str) -> str:
    """client-go's accessor for a kind (gengo's pluraliser)."""
    if kind in PLURALS:
        return PLURALS[kind]
    if kind.endswith("s"):
        return kind + "es"
    if kind.endswith("y") and kind[-2:-1] not in "aeiou":
        return kind[:-1] + "ies"
    return kind + "s"


def _go(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)


def _field(p: Param) -> str:
    name = p.name[:1].upper() + p.name[1:]
    if p.name in _POINTERS:
        kind = _POINTERS[p.name]
        if kind == "metav1.DeletionPropagation":
            return f"{name}: ptr.To(metav1.DeletionPropagation({_go(p.value)}))"
        return (
            f"{name}: ptr.To[{kind}]({_go(p.value)})"
            if kind == "int64"
            else f"{name}: ptr.To({_go(p.value)})"
        )
    return f"{name}: {_go(p.value)}"


def options(call: Call, struct: str, params: tuple[Param, ...]) -> tuple[str, tuple[str, ...]]:
    """``metav1.<struct>{...}`` and the parameters it has no field for."""
    writes = struct not in ("GetOptions", "ListOptions")  # a read has no dry run
    fields = ["DryRun: []string{metav1.DryRunAll}"] if call.dry_run and writes else []
    fields += [_field(p) for p in params if p.name in _FIELDS[struct]]
    dropped = tuple(p.name for p in params if p.name not in _FIELDS[struct])
    if not fields:
        return f"metav1.{struct}{{}}", dropped
    return f"metav1.{struct}{{\n\t\t" + ",\n\t\t".join(fields) + ",\n\t}", dropped


def _raw(text: str) -> str:
    return f"`{text}`" if "`" not in text else json.dumps(text)


def _typed_verb(call: Call) -> bool:
    """The typed clientset has a method for this call."""
    if call.verb is None or call.verb == "connect" or not call.resource:
        return False
    if call.subresource == "":
        return True
    if call.subresource == "status":
        return call.verb in ("update", "patch", "apply")
    if call.subresource == "scale":  # a typed Patch(..., "scale") would decode the Scale as the kind
        return call.verb in ("get", "update")
    return False


def snippet(call: Call) -> Code:
    if call.subresource in STREAMED:
        helper = "k8s.io/client-go/tools/remotecommand (exec, attach) or tools/portforward"
        return Code(LIBRARY, "", stream_sentence(call.subresource, "client-go", helper))
    params = call.options
    lines: list[str]
    custom = not call.builtin or call.group in OTHER_CLIENTSETS
    if custom and call.resource and call.verb not in (None, "connect"):
        lines, dropped = _dynamic(call, params)
    elif not custom and _typed_verb(call):
        lines, dropped = _typed(call, params)
    else:
        lines, dropped = _rest(call), ()
    head = [
        "\t// the kubeconfig (KUBECONFIG, ~/.kube/config), else the pod's service account",
        "\tconfig, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(",
        "\t\tclientcmd.NewDefaultClientConfigLoadingRules(), &clientcmd.ConfigOverrides{}).ClientConfig()",
        "\tif err != nil {\n\t\tpanic(err)\n\t}",
        "\tctx := context.Background()",
    ]
    if dropped:
        head.append(f"\t// not carried: {', '.join(dropped)} (the options struct has no such field)")
    body = "\n".join(head + lines)
    imports = [imp for token, imp in _IMPORTS.items() if re.search(rf"(?<![\w.]){re.escape(token)}", body)]
    api = _api_import(call, body)
    if api:
        imports.append(api)
    std = sorted(i for i in imports if "/" not in i.split()[-1] or i == '"encoding/json"')
    rest = sorted((i for i in imports if i not in std), key=lambda i: i.split()[-1])
    block = "\n".join(f"\t{i}" for i in std) + ("\n\n" + "\n".join(f"\t{i}" for i in rest) if rest else "")
    code = f"package main\n\nimport (\n{block}\n)\n\nfunc main() {{\n{body}\n}}\n"
    return Code(LIBRARY, code)


def _api_import(call: Call, body: str) -> str:
    path, alias = api_package(*_body_gv(call))
    return f'{alias} "{path}"' if re.search(rf"\b{alias}\.", body) else ""


def _body_gv(call: Call) -> tuple[str, str]:
    return (call.body_group, call.body_version) if call.body_kind else (call.group, call.version)


def _print(result: str) -> list[str]:
    return [
        f'\tout, err := json.MarshalIndent({result}, "", "  ")',
        "\tif err != nil {\n\t\tpanic(err)\n\t}",
        "\tfmt.Println(string(out))",
    ]


def _check() -> str:
    return "\tif err != nil {\n\t\tpanic(err)\n\t}"


def _body(call: Call, typed: str | None) -> list[str]:
    text = literal_json(call.body)
    if call.method == "PATCH":
        return [f"\tdata := []byte({_raw(text)})"]
    if typed is None:
        unmarshal = f"\tif err := json.Unmarshal([]byte({_raw(text)}), &body.Object); err != nil {{"
        return ["\tbody := &unstructured.Unstructured{}", unmarshal + "\n\t\tpanic(err)\n\t}"]
    return [
        f"\tbody := &{typed}{{}}",
        f"\tif err := json.Unmarshal([]byte({_raw(text)}), body); err != nil {{\n\t\tpanic(err)\n\t}}",
    ]


def _watch(access: str, opts: str) -> list[str]:
    """A watch printing one JSON line per event."""
    return [
        f"\twatcher, err := {access}.Watch(ctx, {opts})",
        _check(),
        "\tfor event := range watcher.ResultChan() {",
        '\t\tout, _ := json.Marshal(map[string]any{"type": event.Type, "object": event.Object})',
        "\t\tfmt.Println(string(out))",
        "\t}",
    ]


def _delete_collection(call: Call, access: str, opts: str, params: tuple[Param, ...]) -> list[str]:
    """DeleteCollection takes delete options and list options (the selector)."""
    list_opts, _ = options(call, "ListOptions", params)
    return [
        "\t// DeleteCollection answers only an error: the deleted objects are not returned",
        f"\terr = {access}.DeleteCollection(ctx, {opts}, {list_opts})",
        _check(),
    ]


def _in_both(call: Call, dropped: tuple[str, ...], params: tuple[Param, ...]) -> tuple[str, ...]:
    """What neither the delete nor the list options of a DeleteCollection carry."""
    _, more = options(call, "ListOptions", params)
    return tuple(d for d in dropped if d in more)


def _typed(call: Call, params: tuple[Param, ...]) -> tuple[list[str], tuple[str, ...]]:
    verb = call.verb or ""
    struct = _OPTIONS[verb]
    opts, dropped = options(call, struct, params)
    lines = ["\tclientset := kubernetes.NewForConfigOrDie(config)"]
    ns = _go(call.namespace) if call.namespaced else ('""' if call.all_namespaces else "")
    access = f"clientset.{group_method(call.group, call.version)}().{plural(call.kind)}({ns})"
    alias = api_package(*_body_gv(call))[1]
    if call.body is not None:
        lines += _body(call, f"{alias}.{call.body_kind or call.kind}")
    name = _go(call.name)
    sub = call.subresource
    if verb == "get":
        expr = (
            f"{access}.GetScale(ctx, {name}, {opts})"
            if sub == "scale"
            else f"{access}.Get(ctx, {name}, {opts})"
        )
    elif verb == "list":
        expr = f"{access}.List(ctx, {opts})"
    elif verb == "watch":
        return [*lines, *_watch(access, opts)], dropped
    elif verb == "create":
        expr = f"{access}.Create(ctx, body, {opts})"
    elif verb == "update":
        method = {"status": "UpdateStatus", "scale": "UpdateScale"}.get(sub, "Update")
        expr = f"{access}.{method}(ctx, {name + ', ' if sub == 'scale' else ''}body, {opts})"
    elif verb in ("patch", "apply"):
        subs = f", {_go(sub)}" if sub else ""
        expr = f"{access}.Patch(ctx, {name}, {PATCH_TYPES[call.patch_type]}, data, {opts}{subs})"
    elif verb == "delete":
        lines += [
            "\t// client-go's Delete answers only an error: the deleted object is not returned",
            f"\terr = {access}.Delete(ctx, {name}, {opts})",
            _check(),
        ]
        return lines, dropped
    else:  # deletecollection
        return [*lines, *_delete_collection(call, access, opts, params)], _in_both(call, dropped, params)
    return [*lines, f"\tresult, err := {expr}", _check(), *_print("result")], dropped


def _dynamic(call: Call, params: tuple[Param, ...]) -> tuple[list[str], tuple[str, ...]]:
    verb = call.verb or ""
    opts, dropped = options(call, _OPTIONS[verb], params)
    lines = [
        "\tclient := dynamic.NewForConfigOrDie(config)",
        f"\tgvr := schema.GroupVersionResource{{Group: {_go(call.group)}, Version: {_go(call.version)}, "
        f"Resource: {_go(call.resource)}}}",
    ]
    access = (
        f"client.Resource(gvr).Namespace({_go(call.namespace)})"
        if call.namespaced
        else "client.Resource(gvr)"
    )
    if call.body is not None:
        lines += _body(call, None)
    name = _go(call.name)
    subs = f", {_go(call.subresource)}" if call.subresource else ""
    if verb == "get":
        expr = f"{access}.Get(ctx, {name}, {opts}{subs})"
    elif verb == "list":
        expr = f"{access}.List(ctx, {opts})"
    elif verb == "watch":
        return [*lines, *_watch(access, opts)], dropped
    elif verb == "create":
        expr = f"{access}.Create(ctx, body, {opts}{subs})"
    elif verb == "update":
        expr = f"{access}.Update(ctx, body, {opts}{subs})"
    elif verb in ("patch", "apply"):
        expr = f"{access}.Patch(ctx, {name}, {PATCH_TYPES[call.patch_type]}, data, {opts}{subs})"
    elif verb == "delete":
        lines += [
            "\t// the dynamic client's Delete answers only an error: the deleted object is not returned",
            f"\terr = {access}.Delete(ctx, {name}, {opts}{subs})",
            _check(),
        ]
        return lines, dropped
    else:  # deletecollection
        return [*lines, *_delete_collection(call, access, opts, params)], _in_both(call, dropped, params)
    return [*lines, f"\tresult, err := {expr}", _check(), *_print("result")], dropped


def _rest(call: Call) -> list[str]:
    """The request through the clientset's REST client: the typed client has no method for it."""
    lines = [
        "\tclientset := kubernetes.NewForConfigOrDie(config)",
        f"\t// the typed client has no method for {call.operation_id}: its REST client sends the request",
    ]
    chain = [f"clientset.Discovery().RESTClient().Verb({_go(call.method)})", f"AbsPath({_go(call.path)})"]
    if call.dry_run:
        chain.append('Param("dryRun", "All")')
    for p in call.params:
        value = str(p.value).lower() if isinstance(p.value, bool) else str(p.value)
        chain.append(f"Param({_go(p.name)}, {_go(value)})")
    if call.body is not None:
        lines.append(f"\tdata := []byte({_raw(literal_json(call.body))})")
        chain += [f'SetHeader("Content-Type", {_go(call.patch_type or "application/json")})', "Body(data)"]
    chain.append("Do(ctx).Raw()")
    lines += ["\tresult, err := " + ".\n\t\t".join(chain), _check(), "\tfmt.Println(string(result))"]
    return lines
