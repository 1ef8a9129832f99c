"""The same request as ``curl``, ``kubectl`` and Python, to copy into a terminal.

The token is never written: every command reads ``$TOKEN`` (and the CA from a file named ``ca.crt``),
so a page, a screenshot or a shared link holds no credential. Values are shell-quoted with
:func:`shlex.quote`; bodies go through a quoted heredoc, which the shell does not expand.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import orjson

from webexplorer.catalog import Operation

from .bodies import dump_yaml
from .plan import APPLY_PATCH, JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, PlannedRequest

KUBECTL_PATCH_TYPES = {JSON_PATCH: "json", MERGE_PATCH: "merge", STRATEGIC_PATCH: "strategic"}


@dataclass(frozen=True, slots=True)
class Target:
    """What kubectl needs to name the object: resource (plural), group, namespace, name."""

    resource: str = ""
    group: str = ""
    namespace: str = ""
    name: str = ""
    subresource: str = ""

    @property
    def resource_arg(self) -> str:
        return f"{self.resource}.{self.group}" if self.group else self.resource


def target_of(op: Operation, path: Mapping[str, str]) -> Target:
    """What kubectl names for ``op``: its resource, and the namespace and name the form gave."""
    t = op.target
    return Target(
        resource=(t.resource or "") if t else "",
        group=t.group if t else "",
        namespace=path.get("namespace", ""),
        name=path.get("name", ""),
        subresource=(t.subresource or "") if t else "",
    )


@dataclass(frozen=True, slots=True)
class Commands:
    curl: str
    kubectl: str
    python: str


def commands(
    plan: PlannedRequest, server_url: str, target: Target, *, authenticated: bool = True
) -> Commands:
    """All three forms of ``plan`` against ``server_url``. ``authenticated`` is False when the server URL
    is a proxy that adds the identity itself (kubectl proxy): no token, no CA."""
    return Commands(
        curl=curl(plan, server_url, authenticated=authenticated),
        kubectl=kubectl(plan, target),
        python=python(plan, server_url, authenticated=authenticated),
    )


def _url(plan: PlannedRequest, server_url: str) -> str:
    return server_url.rstrip("/") + plan.path + ("?" + urlencode(plan.query) if plan.query else "")


def _body_text(plan: PlannedRequest) -> str:
    if plan.body is None:
        return ""
    value = orjson.loads(plan.body)
    if plan.content_type == APPLY_PATCH:
        return dump_yaml(value).rstrip("\n")
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


def _heredoc(text: str) -> str:
    marker = "EOF"
    while marker in text.splitlines():
        marker += "_"
    return f" <<'{marker}'\n{text}\n{marker}"


def curl(plan: PlannedRequest, server_url: str, *, authenticated: bool = True) -> str:
    parts = ["curl"]
    https = server_url.startswith("https:")
    if https and authenticated:
        parts += ["--cacert", "ca.crt"]
    if plan.method != "GET":
        parts += ["-X", plan.method]
    if authenticated:
        parts += ["-H", '"Authorization: Bearer $TOKEN"']
    for name, value in plan.headers:
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if plan.watch:
        parts.append("-N")
    body = _body_text(plan)
    if body:
        parts += ["--data-binary", "@-"]
    parts.append(shlex.quote(_url(plan, server_url)))
    return " ".join(parts) + (_heredoc(body) if body else "")


def kubectl(plan: PlannedRequest, t: Target) -> str:
    ns = ["-n", shlex.quote(t.namespace)] if t.namespace else []
    dry = ["--dry-run=server"] if plan.dry_run else []
    query = dict(plan.query)
    body = _body_text(plan)
    field_manager = (
        [f"--field-manager={shlex.quote(query['fieldManager'])}"] if query.get("fieldManager") else []
    )
    validate = [f"--validate={query['fieldValidation'].lower()}"] if query.get("fieldValidation") else []
    sub = [f"--subresource={shlex.quote(t.subresource)}"] if t.subresource in ("status", "scale") else []
    if plan.method == "GET" and plan.watch and t.resource and not t.subresource:
        selector = ["-l", shlex.quote(query["labelSelector"])] if query.get("labelSelector") else []
        scope = ns if t.namespace else ["--all-namespaces"]
        name = [shlex.quote(t.name)] if t.name else []
        return " ".join(["kubectl", "get", t.resource_arg, *name, *scope, *selector, "--watch", "-o", "json"])
    if plan.method == "GET" or not t.resource:
        target = plan.path + ("?" + urlencode(plan.query) if plan.query else "")
        if plan.method == "GET":
            return f"kubectl get --raw {shlex.quote(target)}"
        return f"kubectl {plan.method.lower()} --raw {shlex.quote(target)}"
    if plan.method == "POST":
        return " ".join(["kubectl", "create", *ns, *dry, *field_manager, *validate, "-f", "-"]) + _heredoc(
            dump_yaml(orjson.loads(plan.body or b"{}")).rstrip("\n")
        )
    if plan.method == "PUT":
        return " ".join(
            ["kubectl", "replace", *ns, *dry, *sub, *field_manager, *validate, "-f", "-"]
        ) + _heredoc(dump_yaml(orjson.loads(plan.body or b"{}")).rstrip("\n"))
    if plan.method == "PATCH" and plan.content_type == APPLY_PATCH:
        force = ["--force-conflicts"] if query.get("force") == "true" else []
        return " ".join(
            [
                "kubectl",
                "apply",
                "--server-side",
                *ns,
                *dry,
                *sub,
                *field_manager,
                *force,
                *validate,
                "-f",
                "-",
            ]
        ) + _heredoc(body)
    if plan.method == "PATCH":
        kind = KUBECTL_PATCH_TYPES.get(plan.content_type or "", "merge")
        compact = orjson.dumps(orjson.loads(plan.body or b"{}")).decode()
        return " ".join(
            [
                "kubectl",
                "patch",
                t.resource_arg,
                shlex.quote(t.name),
                *ns,
                *sub,
                *dry,
                *field_manager,
                f"--type={kind}",
                "-p",
                shlex.quote(compact),
            ]
        )
    if plan.method == "DELETE":
        extra = []
        if query.get("propagationPolicy"):
            extra.append(f"--cascade={_cascade(query['propagationPolicy'])}")
        if query.get("gracePeriodSeconds"):
            extra.append(f"--grace-period={query['gracePeriodSeconds']}")
        if query.get("labelSelector"):
            extra += ["-l", shlex.quote(query["labelSelector"])]
        what = [shlex.quote(t.name)] if t.name else [] if query.get("labelSelector") else ["--all"]
        return " ".join(["kubectl", "delete", t.resource_arg, *what, *ns, *dry, *extra])
    return f"kubectl {plan.method.lower()} --raw {shlex.quote(plan.path)}"


def _cascade(policy: str) -> str:
    return {"Foreground": "foreground", "Background": "background", "Orphan": "orphan"}.get(
        policy, "background"
    )


def python(plan: PlannedRequest, server_url: str, *, authenticated: bool = True) -> str:
    headers = dict(plan.headers)
    lines = ["import os", "", "import httpx", ""]
    if authenticated:
        headers_src = '{"Authorization": f"Bearer {os.environ[\'TOKEN\']}", ' + repr(headers)[1:]
    else:
        headers_src = repr(headers)
    call = [
        f"    {plan.method!r},",
        f"    {server_url.rstrip('/') + plan.path!r},",
        f"    params={list(plan.query)!r},",
        f"    headers={headers_src},",
    ]
    if plan.body is not None:
        call.append(f"    content={_body_text(plan)!r}.encode(),")
    if server_url.startswith("https:") and authenticated:
        call.append('    verify="ca.crt",')
    if plan.watch:
        lines += [
            "with httpx.stream(",
            *call,
            "    timeout=None,",
            ") as response:",
            "    for line in response.iter_lines():",
            "        print(line)",
        ]
    else:
        lines += ["response = httpx.request(", *call, ")", "print(response.status_code, response.text)"]
    return "\n".join(lines)
