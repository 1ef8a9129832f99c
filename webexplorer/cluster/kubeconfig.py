"""Kubeconfig files: load, merge like kubectl, and resolve one context into plain connection settings.

Merging follows ``clientcmd``: files are read in order, and for every cluster, user and context name
(and for ``current-context``) the first file that defines it wins. Relative paths inside a file
(``certificate-authority``, ``client-certificate``, ``client-key``, ``tokenFile``, and an exec
``command`` that contains a ``/``) resolve against *that file's* directory, so a merged config behaves
as each file alone would.

Resolving reads the certificate files into memory at once: a missing or bad file is reported as one
sentence naming the file and the kubeconfig entry that points at it, when the operator starts the
explorer or picks the context, rather than as a TLS error at the first page.

Nothing here talks to the network or runs a plugin; :mod:`webexplorer.cluster.connection` does.
"""

from __future__ import annotations

import base64
import binascii
import os
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from webexplorer.cluster.errors import KubeconfigError
from webexplorer.cluster.tls import TLSSettings, build_ssl_context, load_cert_chain_from_memory

try:  # the C loader is several times faster on big merged configs
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

EXEC_API_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")
EXEC_CLUSTER_EXTENSION = "client.authentication.k8s.io/exec"
INTERACTIVE_MODES = ("Never", "IfAvailable", "Always")

AuthKind = Literal["none", "token", "token-file", "exec", "basic"]


@dataclass(frozen=True, slots=True)
class ExecSpec:
    """An exec credential plugin as the kubeconfig describes it (``users[].user.exec``)."""

    command: str
    args: tuple[str, ...]
    #: extra environment for the plugin; values may be secrets, so kept out of repr
    env: tuple[tuple[str, str], ...] = field(repr=False)
    api_version: str
    install_hint: str | None
    provide_cluster_info: bool
    interactive_mode: str
    #: the ExecCredential ``spec.cluster`` to pass when provide_cluster_info is set
    cluster_info: Mapping[str, Any] | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class AuthSpec:
    """How requests authenticate. Exactly one bearer source (or none); client certs live in TLS."""

    kind: AuthKind = "none"
    token: str | None = field(default=None, repr=False)
    token_file: Path | None = None
    exec: ExecSpec | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class ContextInfo:
    """One context as a picker shows it."""

    name: str
    cluster: str
    user: str
    namespace: str | None
    current: bool
    source: Path


@dataclass(frozen=True, slots=True)
class ResolvedContext:
    """One context turned into what a connection needs; holds secrets only in repr-hidden fields."""

    context: str
    cluster_name: str
    user_name: str
    namespace: str
    server: str
    tls: TLSSettings
    auth: AuthSpec
    #: where the client certificate came from, for describe_auth: a path, or "client-certificate-data"
    client_cert_source: str | None
    proxy_url: str | None
    disable_compression: bool
    #: Impersonate-* headers from the user's ``as``, ``as-uid``, ``as-groups``, ``as-user-extra``
    impersonate: tuple[tuple[str, str], ...]
    #: the file the context came from
    source: Path
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    body: Mapping[str, Any]
    source: Path


def kubeconfig_paths(explicit: str | None, env: Mapping[str, str]) -> tuple[list[Path], bool, str]:
    """Which files to read: ``--kubeconfig``, else ``$KUBECONFIG``, else ``~/.kube/config``.

    Returns the paths, whether every one must exist (an explicit list must; ``$KUBECONFIG`` entries
    that do not exist are skipped, as kubectl skips them) and a phrase saying where the list came from.
    """
    home = env.get("HOME") or str(Path.home())

    def expand(item: str) -> Path:
        if item == "~" or item.startswith("~/"):
            item = home + item[1:]
        return Path(item)

    def split(value: str) -> list[Path]:
        seen: list[Path] = []
        for item in value.split(os.pathsep):
            if item.strip() and expand(item.strip()) not in seen:
                seen.append(expand(item.strip()))
        return seen

    if explicit:
        return split(explicit), True, "--kubeconfig"
    if env.get("KUBECONFIG", "").strip():
        return split(env["KUBECONFIG"]), False, "$KUBECONFIG"
    return [Path(home) / ".kube" / "config"], True, "the default ~/.kube/config"


class Kubeconfig:
    """The merged view of one or more kubeconfig files."""

    def __init__(
        self,
        paths: Sequence[Path],
        current_context: str | None,
        clusters: Mapping[str, _Entry],
        users: Mapping[str, _Entry],
        contexts: Mapping[str, _Entry],
    ) -> None:
        self.paths = tuple(paths)
        self.current_context = current_context
        self._clusters = dict(clusters)
        self._users = dict(users)
        self._contexts = dict(contexts)

    def __repr__(self) -> str:
        return f"Kubeconfig(paths={[str(p) for p in self.paths]}, contexts={list(self._contexts)})"

    @property
    def where(self) -> str:
        """The file list as a phrase for messages."""
        return ", ".join(str(p) for p in self.paths) or "(no file)"

    def context_names(self) -> list[str]:
        return list(self._contexts)

    def contexts(self) -> list[ContextInfo]:
        """Every context, in file order, for a picker."""
        infos = []
        for entry in self._contexts.values():
            namespace = entry.body.get("namespace")
            infos.append(
                ContextInfo(
                    name=entry.name,
                    cluster=str(entry.body.get("cluster") or ""),
                    user=str(entry.body.get("user") or ""),
                    namespace=namespace if isinstance(namespace, str) and namespace else None,
                    current=entry.name == self.current_context,
                    source=entry.source,
                )
            )
        return infos

    def resolve(self, context: str | None = None) -> ResolvedContext:
        """Turn ``context`` (default: current-context) into connection settings, or raise a sentence."""
        names = ", ".join(self._contexts) or "none"
        if context is None:
            if not self.current_context:
                raise KubeconfigError(
                    f"The kubeconfig {self.where} sets no current-context: choose one with --context "
                    f"(contexts: {names})."
                )
            context = self.current_context
        ctx_entry = self._contexts.get(context)
        if ctx_entry is None:
            raise KubeconfigError(
                f"The kubeconfig {self.where} has no context named {context!r}: choose one of {names} "
                "with --context, or fix current-context."
            )
        cx = ctx_entry.body
        cluster_name = _opt_str(cx, "cluster", f"context {context!r}", ctx_entry.source)
        user_name = _opt_str(cx, "user", f"context {context!r}", ctx_entry.source) or ""
        namespace = _opt_str(cx, "namespace", f"context {context!r}", ctx_entry.source) or "default"
        if not cluster_name:
            raise KubeconfigError(
                f"Context {context!r} in {ctx_entry.source} names no cluster: add 'cluster: NAME' to it."
            )
        cl_entry = self._clusters.get(cluster_name)
        if cl_entry is None:
            raise KubeconfigError(
                f"Context {context!r} in {ctx_entry.source} names cluster {cluster_name!r}, which no "
                f"kubeconfig file ({self.where}) defines: add it under clusters or fix the context."
            )
        if user_name and user_name not in self._users:
            raise KubeconfigError(
                f"Context {context!r} in {ctx_entry.source} names user {user_name!r}, which no kubeconfig "
                f"file ({self.where}) defines: add it under users or fix the context."
            )
        us_entry = self._users.get(user_name) if user_name else None
        return _resolve(context, ctx_entry, cl_entry, us_entry, namespace)


def load_kubeconfig(
    paths: Sequence[Path], *, strict: bool = True, origin: str = "--kubeconfig"
) -> Kubeconfig:
    """Read and merge ``paths``. With ``strict`` a missing file is an error; otherwise it is skipped
    (as kubectl skips missing ``$KUBECONFIG`` entries) unless none of them exists."""
    loaded: list[Path] = []
    current: str | None = None
    clusters: dict[str, _Entry] = {}
    users: dict[str, _Entry] = {}
    contexts: dict[str, _Entry] = {}
    for path in paths:
        document = _read(path, strict=strict)
        if document is None:
            continue
        loaded.append(path)
        cc = document.get("current-context")
        if cc is not None and not isinstance(cc, str):
            raise KubeconfigError(
                f"The kubeconfig {path} has a current-context that is not a name ({_kind(cc)}): make it "
                "a context name or remove it."
            )
        if not current and cc:
            current = cc
        for key, inner, into in (
            ("clusters", "cluster", clusters),
            ("users", "user", users),
            ("contexts", "context", contexts),
        ):
            for entry in _entries(document, key, inner, path):
                into.setdefault(entry.name, entry)
    if not loaded:
        listed = ", ".join(str(p) for p in paths) or "(empty list)"
        raise KubeconfigError(
            f"No kubeconfig file exists at {listed} (from {origin}): create one (kubectl config), set "
            "--kubeconfig, or use --server."
        )
    return Kubeconfig(loaded, current, clusters, users, contexts)


def _read(path: Path, *, strict: bool) -> dict[str, Any] | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if strict:
            raise KubeconfigError(
                f"The kubeconfig {path} does not exist: check --kubeconfig / $KUBECONFIG, or create it "
                "with kubectl config."
            ) from None
        return None
    except OSError as exc:
        raise KubeconfigError(
            f"The kubeconfig {path} could not be read ({exc.strerror or type(exc).__name__}): fix its "
            "permissions or point --kubeconfig at a readable file."
        ) from None
    try:
        document = yaml.load(raw, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = exc.problem or "syntax error"
        raise KubeconfigError(
            f"The kubeconfig {path} is not valid YAML ({problem}{where}): fix the file or point "
            "--kubeconfig at another one."
        ) from None
    except (yaml.YAMLError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise KubeconfigError(
            f"The kubeconfig {path} is not valid YAML ({type(exc).__name__}): fix the file or point "
            "--kubeconfig at another one."
        ) from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise KubeconfigError(
            f"The kubeconfig {path} is {_kind(document)}, not a mapping with clusters, users and contexts: "
            "check that it really is a kubeconfig."
        )
    return document


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


def _entries(document: Mapping[str, Any], key: str, inner: str, path: Path) -> list[_Entry]:
    items = document.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise KubeconfigError(
            f"The kubeconfig {path}: '{key}' is {_kind(items)}, not a list of entries with name and "
            f"{inner}: fix the file."
        )
    entries = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise KubeconfigError(
                f"The kubeconfig {path}: entry {index} of '{key}' is {_kind(item)}, not a mapping with "
                f"name and {inner}: fix the file."
            )
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise KubeconfigError(
                f"The kubeconfig {path}: entry {index} of '{key}' has no name: give it 'name: ...'."
            )
        body = item.get(inner)
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise KubeconfigError(
                f"The kubeconfig {path}: '{inner}' of {key[:-1]} {name!r} is {_kind(body)}, not a mapping: "
                "fix the file."
            )
        entries.append(_Entry(name, body, path))
    return entries


def _opt_str(body: Mapping[str, Any], key: str, what: str, source: Path) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise KubeconfigError(
            f"The kubeconfig {source}: '{key}' of {what} is {_kind(value)}, not a string: fix the file."
        )
    return value


def _opt_bool(body: Mapping[str, Any], key: str, what: str, source: Path) -> bool:
    value = body.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise KubeconfigError(
            f"The kubeconfig {source}: '{key}' of {what} is {_kind(value)}, not true or false: fix the file."
        )
    return value


def _path(value: str, source: Path) -> Path:
    path = Path(value)
    return path if path.is_absolute() else source.parent / path


def _data(body: Mapping[str, Any], key: str, what: str, source: Path) -> bytes | None:
    value = _opt_str(body, key, what, source)
    if value is None:
        return None
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise KubeconfigError(
            f"The kubeconfig {source}: '{key}' of {what} is not valid base64: paste the output of "
            "'base64 -w0 FILE', or use the file-path field instead."
        ) from None


def _read_file(path: Path, key: str, what: str, source: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KubeconfigError(
            f"The file {path} named by '{key}' of {what} in {source} could not be read "
            f"({exc.strerror or type(exc).__name__}): fix the path or the file's permissions."
        ) from None


def _resolve(
    context: str, ctx_entry: _Entry, cl_entry: _Entry, us_entry: _Entry | None, namespace: str
) -> ResolvedContext:
    cl, cl_src = cl_entry.body, cl_entry.source
    cl_what = f"cluster {cl_entry.name!r}"
    server = _opt_str(cl, "server", cl_what, cl_src)
    if not server:
        raise KubeconfigError(
            f"Cluster {cl_entry.name!r} in {cl_src} has no server URL: add 'server: https://HOST:PORT'."
        )
    if "://" not in server:  # client-go assumes https for a bare host:port
        server = "https://" + server
    if not server.startswith(("https://", "http://")):
        raise KubeconfigError(
            f"Cluster {cl_entry.name!r} in {cl_src} has server {server!r}, which is not an http(s) URL: "
            "fix the server field."
        )
    warnings: list[str] = []
    insecure = _opt_bool(cl, "insecure-skip-tls-verify", cl_what, cl_src)
    ca_pem = _data(cl, "certificate-authority-data", cl_what, cl_src)
    trust = f"certificate-authority-data of {cl_what}"
    ca_file = _opt_str(cl, "certificate-authority", cl_what, cl_src)
    if ca_pem is None and ca_file:
        ca_path = _path(ca_file, cl_src)
        ca_pem = _read_file(ca_path, "certificate-authority", cl_what, cl_src)
        trust = f"the certificate-authority {ca_path} of {cl_what}"
    if ca_pem is None:
        trust = "the system trust store"
    if insecure and ca_pem is not None:
        raise KubeconfigError(
            f"Cluster {cl_entry.name!r} in {cl_src} sets both a certificate authority and "
            "insecure-skip-tls-verify, which kubectl also refuses: remove one of them."
        )
    if insecure and server.startswith("https://"):
        warnings.append(
            f"TLS verification is off for cluster {cl_entry.name!r} (insecure-skip-tls-verify in {cl_src}): "
            "anyone on the network path can impersonate the API server and read the credentials."
        )
    server_name = _opt_str(cl, "tls-server-name", cl_what, cl_src)
    proxy_url = _opt_str(cl, "proxy-url", cl_what, cl_src)
    if proxy_url and not proxy_url.startswith(("http://", "https://", "socks5://", "socks5h://")):
        raise KubeconfigError(
            f"Cluster {cl_entry.name!r} in {cl_src} has proxy-url {proxy_url!r}, which is not an http(s) "
            "or socks5 URL: fix it."
        )
    disable_compression = _opt_bool(cl, "disable-compression", cl_what, cl_src)

    # the user
    cert_pem: bytes | None = None
    key_pem: bytes | None = None
    cert_source: str | None = None
    auth = AuthSpec()
    impersonate: list[tuple[str, str]] = []
    if us_entry is not None:
        us, us_src = us_entry.body, us_entry.source
        us_what = f"user {us_entry.name!r}"
        cert_pem = _data(us, "client-certificate-data", us_what, us_src)
        cert_source = "client-certificate-data" if cert_pem is not None else None
        if cert_pem is None and (cert_file := _opt_str(us, "client-certificate", us_what, us_src)):
            cert_path = _path(cert_file, us_src)
            cert_pem = _read_file(cert_path, "client-certificate", us_what, us_src)
            cert_source = str(cert_path)
        key_pem = _data(us, "client-key-data", us_what, us_src)
        if key_pem is None and (key_file := _opt_str(us, "client-key", us_what, us_src)):
            key_pem = _read_file(_path(key_file, us_src), "client-key", us_what, us_src)
        if (cert_pem is None) != (key_pem is None):
            have, lack = ("certificate", "key") if key_pem is None else ("key", "certificate")
            raise KubeconfigError(
                f"User {us_entry.name!r} in {us_src} has a client {have} but no client {lack}: add "
                f"client-{lack}(-data) or remove the {have}."
            )
        if us.get("auth-provider") is not None:
            provider = us["auth-provider"]
            name = provider.get("name") if isinstance(provider, dict) else None
            raise KubeconfigError(
                f"User {us_entry.name!r} in {us_src} uses the auth-provider {name or '?'!r}, which "
                "Kubernetes removed: switch the user to an exec credential plugin (for example kubelogin "
                "or the cloud's own plugin)."
            )
        auth = _user_auth(us, us_what, us_src, cl, cl_what, cl_src, server, ca_pem)
        impersonate = _impersonation(us, us_what, us_src)

    tls = TLSSettings(
        ca_pem=ca_pem,
        trust=trust,
        insecure=insecure,
        client_cert_pem=cert_pem,
        client_key_pem=key_pem,
        server_name=server_name,
    )
    _check_tls(tls, cl_entry, us_entry)
    if server.startswith("http://") and (auth.kind != "none"):
        warnings.append(
            f"Cluster {cl_entry.name!r} uses plain http:// ({server}), so the credentials of "
            f"{us_entry.name if us_entry else 'the user'!r} travel unencrypted."
        )
    return ResolvedContext(
        context=context,
        cluster_name=cl_entry.name,
        user_name=us_entry.name if us_entry else "",
        namespace=namespace,
        server=server.rstrip("/"),
        tls=tls,
        auth=auth,
        client_cert_source=cert_source,
        proxy_url=proxy_url,
        disable_compression=disable_compression,
        impersonate=tuple(impersonate),
        source=ctx_entry.source,
        warnings=tuple(warnings),
    )


def _check_tls(tls: TLSSettings, cl_entry: _Entry, us_entry: _Entry | None) -> None:
    """Load the material once now, so a bad PEM is named here rather than failing every request."""
    try:
        ctx = build_ssl_context(TLSSettings(ca_pem=tls.ca_pem, insecure=tls.insecure))
    except (ssl.SSLError, ValueError) as exc:
        raise KubeconfigError(
            f"The certificate authority of cluster {cl_entry.name!r} in {cl_entry.source} is not a valid "
            f"PEM certificate ({getattr(exc, 'reason', None) or exc}): fix certificate-authority(-data)."
        ) from None
    if tls.client_cert_pem is not None and tls.client_key_pem is not None and us_entry is not None:
        try:
            load_cert_chain_from_memory(ctx, tls.client_cert_pem, tls.client_key_pem)
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise KubeconfigError(
                f"The client certificate and key of user {us_entry.name!r} in {us_entry.source} could not "
                f"be loaded ({getattr(exc, 'reason', None) or type(exc).__name__}): check that both are PEM "
                "and that the key matches the certificate."
            ) from None


def _user_auth(
    us: Mapping[str, Any],
    us_what: str,
    us_src: Path,
    cl: Mapping[str, Any],
    cl_what: str,
    cl_src: Path,
    server: str,
    ca_pem: bytes | None,
) -> AuthSpec:
    if us.get("exec") is not None:
        return AuthSpec(
            kind="exec", exec=_exec_spec(us["exec"], us_what, us_src, cl, cl_what, cl_src, server, ca_pem)
        )
    token = _opt_str(us, "token", us_what, us_src)
    if token:
        return AuthSpec(kind="token", token=token.strip())
    token_file = _opt_str(us, "tokenFile", us_what, us_src)
    if token_file:
        path = _path(token_file, us_src)
        _read_file(path, "tokenFile", us_what, us_src)
        return AuthSpec(kind="token-file", token_file=path)
    username = _opt_str(us, "username", us_what, us_src)
    if username:
        password = _opt_str(us, "password", us_what, us_src) or ""
        return AuthSpec(kind="basic", username=username, password=password)
    return AuthSpec()


def _exec_spec(
    raw: object,
    us_what: str,
    us_src: Path,
    cl: Mapping[str, Any],
    cl_what: str,
    cl_src: Path,
    server: str,
    ca_pem: bytes | None,
) -> ExecSpec:
    what = f"the exec plugin of {us_what}"
    if not isinstance(raw, dict):
        raise KubeconfigError(f"The kubeconfig {us_src}: 'exec' of {us_what} is {_kind(raw)}, not a mapping.")
    command = _opt_str(raw, "command", what, us_src)
    if not command:
        raise KubeconfigError(f"The kubeconfig {us_src}: {what} has no command: add 'command: ...'.")
    if "/" in command and not os.path.isabs(command):
        command = str(us_src.parent / command)
    api_version = _opt_str(raw, "apiVersion", what, us_src)
    if api_version not in EXEC_API_VERSIONS:
        raise KubeconfigError(
            f"The kubeconfig {us_src}: {what} asks for apiVersion {api_version!r}; the explorer speaks "
            f"{' and '.join(EXEC_API_VERSIONS)}: update the plugin configuration."
        )
    args_raw = raw.get("args") or []
    if not isinstance(args_raw, list) or not all(isinstance(a, str) for a in args_raw):
        raise KubeconfigError(f"The kubeconfig {us_src}: 'args' of {what} must be a list of strings.")
    env_raw = raw.get("env") or []
    env: list[tuple[str, str]] = []
    if not isinstance(env_raw, list):
        raise KubeconfigError(f"The kubeconfig {us_src}: 'env' of {what} must be a list of name/value pairs.")
    for item in env_raw:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise KubeconfigError(
                f"The kubeconfig {us_src}: an 'env' entry of {what} lacks a name: use '- name: X' "
                "and 'value: Y'."
            )
        value = item.get("value", "")
        env.append((item["name"], "" if value is None else str(value)))
    interactive = _opt_str(raw, "interactiveMode", what, us_src) or "IfAvailable"
    if interactive not in INTERACTIVE_MODES:
        raise KubeconfigError(
            f"The kubeconfig {us_src}: interactiveMode of {what} is {interactive!r}; use one of "
            f"{', '.join(INTERACTIVE_MODES)}."
        )
    provide = _opt_bool(raw, "provideClusterInfo", what, us_src)
    cluster_info: dict[str, Any] | None = None
    if provide:
        cluster_info = {"server": server}
        for key in ("tls-server-name", "proxy-url"):
            value = cl.get(key)
            if isinstance(value, str) and value:
                cluster_info[key] = value
        if cl.get("insecure-skip-tls-verify") is True:
            cluster_info["insecure-skip-tls-verify"] = True
        if cl.get("disable-compression") is True:
            cluster_info["disable-compression"] = True
        if ca_pem is not None:
            cluster_info["certificate-authority-data"] = base64.b64encode(ca_pem).decode("ascii")
        for ext in cl.get("extensions") or []:
            if isinstance(ext, dict) and ext.get("name") == EXEC_CLUSTER_EXTENSION:
                cluster_info["config"] = ext.get("extension")
    hint = _opt_str(raw, "installHint", what, us_src)
    return ExecSpec(
        command=command,
        args=tuple(args_raw),
        env=tuple(env),
        api_version=api_version,
        install_hint=hint,
        provide_cluster_info=provide,
        interactive_mode=interactive,
        cluster_info=cluster_info,
    )


def _impersonation(us: Mapping[str, Any], us_what: str, us_src: Path) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    if as_user := _opt_str(us, "as", us_what, us_src):
        headers.append(("Impersonate-User", as_user))
    if as_uid := _opt_str(us, "as-uid", us_what, us_src):
        headers.append(("Impersonate-Uid", as_uid))
    groups = us.get("as-groups") or []
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise KubeconfigError(f"The kubeconfig {us_src}: 'as-groups' of {us_what} must be a list of strings.")
    headers.extend(("Impersonate-Group", g) for g in groups)
    extra = us.get("as-user-extra") or {}
    if not isinstance(extra, dict):
        raise KubeconfigError(f"The kubeconfig {us_src}: 'as-user-extra' of {us_what} must be a mapping.")
    for key, values in extra.items():
        items = values if isinstance(values, list) else [values]
        headers.extend((f"Impersonate-Extra-{key}", str(v)) for v in items)
    return headers
