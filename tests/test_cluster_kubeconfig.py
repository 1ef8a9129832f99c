"""Kubeconfig loading, merging and resolving: files only, no network (the live modes are in
test_cluster_live.py)."""

from __future__ import annotations

import base64
import os
import string
from pathlib import Path

import pytest
import trustme
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures.kubeconfigs import kubeconfig_doc, write_yaml
from webexplorer.cluster.errors import KubeconfigError
from webexplorer.cluster.kubeconfig import kubeconfig_paths, load_kubeconfig


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def client_pems(ca: trustme.CA) -> tuple[bytes, bytes]:
    cert = ca.issue_cert("client@example")
    return cert.cert_chain_pems[0].bytes(), cert.private_key_pem.bytes()


def test_merge_first_file_wins_and_relative_paths_resolve_per_file(tmp_path: Path, ca: trustme.CA) -> None:
    a_dir, b_dir = tmp_path / "a", tmp_path / "b"
    a_dir.mkdir()
    b_dir.mkdir()
    ca.cert_pem.write_to_path(str(a_dir / "ca.crt"))
    ca.cert_pem.write_to_path(str(b_dir / "other-ca.crt"))
    (b_dir / "token").write_text("tok-from-b\n")
    first = kubeconfig_doc(
        server="https://a.example:6443",
        user={"token": "tok-a"},
        cluster={"certificate-authority": "ca.crt"},
        context="shared",
        cluster_name="c",
        user_name="u",
    )
    second = {
        "clusters": [
            {"name": "c", "cluster": {"server": "https://b-loses.example"}},
            {
                "name": "c2",
                "cluster": {"server": "https://b.example", "certificate-authority": "other-ca.crt"},
            },
        ],
        "users": [{"name": "u2", "user": {"tokenFile": "token"}}],
        "contexts": [
            {"name": "shared", "context": {"cluster": "c2", "user": "u2"}},
            {"name": "only-b", "context": {"cluster": "c2", "user": "u2", "namespace": "kube-system"}},
        ],
        "current-context": "only-b",
    }
    paths = [write_yaml(a_dir / "config", first), write_yaml(b_dir / "config", second)]
    kc = load_kubeconfig(paths)
    assert kc.current_context == "shared"  # first non-empty current-context wins
    assert kc.context_names() == ["shared", "only-b"]
    shared = kc.resolve()
    assert shared.server == "https://a.example:6443"  # context and cluster from the first file
    assert shared.auth.kind == "token"
    assert "a/ca.crt" in shared.tls.trust
    only_b = kc.resolve("only-b")
    assert only_b.server == "https://b.example"
    assert only_b.namespace == "kube-system"
    assert only_b.auth.token_file == b_dir / "token"  # relative to b's directory, not a's
    assert "b/other-ca.crt" in only_b.tls.trust
    infos = {c.name: c for c in kc.contexts()}
    assert infos["shared"].current and not infos["only-b"].current
    assert infos["only-b"].namespace == "kube-system"


def test_ca_inline_and_from_file_load_the_same_bytes(tmp_path: Path, ca: trustme.CA) -> None:
    ca.cert_pem.write_to_path(str(tmp_path / "ca.crt"))
    inline = kubeconfig_doc(
        server="https://x",
        user={},
        cluster={"certificate-authority-data": base64.b64encode(ca.cert_pem.bytes()).decode()},
    )
    by_file = kubeconfig_doc(
        server="https://x", user={}, cluster={"certificate-authority": str(tmp_path / "ca.crt")}
    )
    a = load_kubeconfig([write_yaml(tmp_path / "inline", inline)]).resolve()
    b = load_kubeconfig([write_yaml(tmp_path / "file", by_file)]).resolve()
    assert a.tls.ca_pem == b.tls.ca_pem == ca.cert_pem.bytes()
    assert "certificate-authority-data" in a.tls.trust
    assert str(tmp_path / "ca.crt") in b.tls.trust


def test_client_cert_data_and_files(tmp_path: Path, client_pems: tuple[bytes, bytes]) -> None:
    cert, key = client_pems
    (tmp_path / "c.crt").write_bytes(cert)
    (tmp_path / "c.key").write_bytes(key)
    as_data = kubeconfig_doc(
        server="https://x",
        user={
            "client-certificate-data": base64.b64encode(cert).decode(),
            "client-key-data": base64.b64encode(key).decode(),
        },
    )
    as_files = kubeconfig_doc(server="https://x", user={"client-certificate": "c.crt", "client-key": "c.key"})
    a = load_kubeconfig([write_yaml(tmp_path / "a", as_data)]).resolve()
    b = load_kubeconfig([write_yaml(tmp_path / "b", as_files)]).resolve()
    assert a.tls.client_cert_pem == b.tls.client_cert_pem == cert
    assert a.client_cert_source == "client-certificate-data"
    assert b.client_cert_source == str(tmp_path / "c.crt")
    # no key material in any repr
    assert "PRIVATE" not in repr(a) and "PRIVATE" not in repr(b.tls)


def test_secrets_never_in_repr(tmp_path: Path) -> None:
    doc = kubeconfig_doc(
        server="https://x", user={"token": "s3cr3t-t0ken", "username": "u", "password": "pw-xyz"}
    )
    kc = load_kubeconfig([write_yaml(tmp_path / "k", doc)])
    resolved = kc.resolve()
    assert "s3cr3t-t0ken" not in repr(resolved) and "s3cr3t-t0ken" not in repr(kc)


def test_insecure_skip_tls_verify_warns_and_conflicts_with_ca(tmp_path: Path, ca: trustme.CA) -> None:
    doc = kubeconfig_doc(server="https://x", user={}, cluster={"insecure-skip-tls-verify": True})
    resolved = load_kubeconfig([write_yaml(tmp_path / "k", doc)]).resolve()
    assert resolved.tls.insecure
    assert any("TLS verification is off" in w for w in resolved.warnings)
    both = kubeconfig_doc(
        server="https://x",
        user={},
        cluster={
            "insecure-skip-tls-verify": True,
            "certificate-authority-data": base64.b64encode(ca.cert_pem.bytes()).decode(),
        },
    )
    with pytest.raises(KubeconfigError, match="insecure-skip-tls-verify"):
        load_kubeconfig([write_yaml(tmp_path / "both", both)]).resolve()


def test_exec_spec_resolution(tmp_path: Path) -> None:
    doc = kubeconfig_doc(
        server="https://h:6443",
        user={
            "exec": {
                "apiVersion": "client.authentication.k8s.io/v1beta1",
                "command": "./bin/plugin",
                "args": ["get-token", "--cluster", "x"],
                "env": [{"name": "SECRETISH", "value": "v"}],
                "provideClusterInfo": True,
            }
        },
        cluster={
            "tls-server-name": "kubernetes.default.svc",
            "extensions": [{"name": "client.authentication.k8s.io/exec", "extension": {"audience": "a"}}],
        },
    )
    resolved = load_kubeconfig([write_yaml(tmp_path / "k", doc)]).resolve()
    spec = resolved.auth.exec
    assert spec is not None
    assert spec.command == str(tmp_path / "bin/plugin")  # relative command with a slash: file's dir
    assert spec.interactive_mode == "IfAvailable"  # v1beta1 default
    assert spec.cluster_info == {
        "server": "https://h:6443",
        "tls-server-name": "kubernetes.default.svc",
        "config": {"audience": "a"},
    }
    assert "SECRETISH" not in repr(spec)


def test_impersonation_and_bare_host_server(tmp_path: Path) -> None:
    doc = kubeconfig_doc(
        server="h.example:6443", user={"token": "t", "as": "alice", "as-groups": ["g1", "g2"]}
    )
    resolved = load_kubeconfig([write_yaml(tmp_path / "k", doc)]).resolve()
    assert resolved.server == "https://h.example:6443"
    assert resolved.impersonate == (
        ("Impersonate-User", "alice"),
        ("Impersonate-Group", "g1"),
        ("Impersonate-Group", "g2"),
    )


def test_kubeconfig_paths_order(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "KUBECONFIG": f"/a{os.pathsep}/b{os.pathsep}/a{os.pathsep}"}
    assert kubeconfig_paths("~/x:/y", env) == ([tmp_path / "x", Path("/y")], True, "--kubeconfig")
    assert kubeconfig_paths(None, env) == ([Path("/a"), Path("/b")], False, "$KUBECONFIG")
    assert kubeconfig_paths(None, {"HOME": str(tmp_path)})[0] == [tmp_path / ".kube" / "config"]


def test_missing_kubeconfig_entries_are_skipped_unless_strict(tmp_path: Path) -> None:
    good = write_yaml(tmp_path / "good", kubeconfig_doc(server="https://x", user={}))
    kc = load_kubeconfig([tmp_path / "missing", good], strict=False)
    assert kc.paths == (good,)
    with pytest.raises(KubeconfigError, match=r"missing does not exist: check --kubeconfig"):
        load_kubeconfig([tmp_path / "missing", good], strict=True)
    with pytest.raises(KubeconfigError, match="No kubeconfig file exists"):
        load_kubeconfig([tmp_path / "missing"], strict=False)


# --- malformed kubeconfigs: one sentence that names the problem -----------------------------------

MALFORMED = {
    "bad YAML": ("clusters: [\n  - name: x\n   cluster: {", r"not valid YAML \(.* at line \d+, column \d+\)"),
    "a list": ("- a\n- b\n", "is a list, not a mapping"),
    "clusters not a list": ("clusters: {a: 1}\n", "'clusters' is a mapping, not a list"),
    "entry without name": (
        "clusters:\n- cluster: {server: https://x}\n",
        "entry 1 of 'clusters' has no name",
    ),
    "no current context": (
        "contexts:\n- name: a\n  context: {cluster: c}\n",
        "sets no current-context.*contexts: a",
    ),
    "unknown context": ("current-context: nope\ncontexts: []\n", "has no context named 'nope'"),
    "context without cluster": (
        "current-context: a\ncontexts:\n- name: a\n  context: {user: u}\n",
        "names no cluster",
    ),
    "missing cluster": (
        "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\n",
        "names cluster 'c', which no kubeconfig file",
    ),
    "missing user": (
        "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
        "clusters:\n- name: c\n  cluster: {server: https://x}\n",
        "names user 'u', which no",
    ),
    "no server": (
        "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\n"
        "clusters:\n- name: c\n  cluster: {}\n",
        "has no server URL",
    ),
    "bad base64": (
        "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\n"
        "clusters:\n- name: c\n  cluster: {server: https://x, certificate-authority-data: '!!'}\n",
        "not valid base64",
    ),
    "CA not PEM": (
        "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\n"
        "clusters:\n- name: c\n  cluster: {server: https://x, certificate-authority-data: aGVsbG8=}\n",
        "not a valid PEM certificate",
    ),
    "CA file missing": (
        "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\n"
        "clusters:\n- name: c\n  cluster: {server: https://x, certificate-authority: nope.crt}\n",
        r"nope.crt named by 'certificate-authority' of cluster 'c' .* could not be read",
    ),
    "cert without key": (
        "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
        "clusters:\n- name: c\n  cluster: {server: https://x}\n"
        "users:\n- name: u\n  user: {client-certificate-data: aGVsbG8=}\n",
        "client certificate but no client key",
    ),
    "auth-provider": (
        "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
        "clusters:\n- name: c\n  cluster: {server: https://x}\n"
        "users:\n- name: u\n  user: {auth-provider: {name: gcp}}\n",
        "auth-provider 'gcp'.*exec",
    ),
    "exec old api": (
        "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
        "clusters:\n- name: c\n  cluster: {server: https://x}\n"
        "users:\n- name: u\n  user: {exec: {command: x, apiVersion: "
        "client.authentication.k8s.io/v1alpha1}}\n",
        "v1alpha1",
    ),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_kubeconfig_gives_one_clear_sentence(tmp_path: Path, name: str) -> None:
    text, pattern = MALFORMED[name]
    path = tmp_path / "config"
    path.write_text(text)
    with pytest.raises(KubeconfigError) as info:
        load_kubeconfig([path]).resolve()
    message = str(info.value)
    assert str(path) in message or "kubeconfig" in message
    assert __import__("re").search(pattern, message), message
    assert message.endswith(".") and "\n" not in message and "Traceback" not in message


def test_unreadable_kubeconfig(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text("{}")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):  # root reads anything; use a directory instead
            path.chmod(0o600)
            path.unlink()
            path.mkdir()
        with pytest.raises(KubeconfigError, match=r"could not be read \(.+\): fix its permissions"):
            load_kubeconfig([path])
    finally:
        if path.is_file():
            path.chmod(0o600)


_names = st.text(alphabet=string.ascii_letters + string.digits + "-_.:@/", min_size=0, max_size=12)
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), _names, st.just("https://x:1"))
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_names, inner, max_size=4)),
    max_leaves=12,
)
_keys = st.sampled_from(
    [
        "clusters",
        "users",
        "contexts",
        "current-context",
        "name",
        "cluster",
        "user",
        "context",
        "server",
        "namespace",
        "token",
        "tokenFile",
        "exec",
        "command",
        "apiVersion",
        "args",
        "env",
        "certificate-authority",
        "certificate-authority-data",
        "client-certificate-data",
        "client-key-data",
        "insecure-skip-tls-verify",
        "proxy-url",
        "tls-server-name",
        "as-groups",
        "auth-provider",
    ]
)
_kubeconfigish = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_keys, inner, max_size=5)),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=st.one_of(_kubeconfigish, _values), context=st.one_of(st.none(), _names))
def test_any_document_loads_or_fails_with_a_kubeconfig_error(
    tmp_path: Path, document: object, context: str | None
) -> None:
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(document))
    try:
        kc = load_kubeconfig([path])
        kc.contexts()
        kc.resolve(context or None)
    except KubeconfigError as exc:
        message = str(exc)
        assert message and "\n" not in message and message.endswith(".")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_any_bytes_load_or_fail_with_a_kubeconfig_error(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "config"
    path.write_bytes(raw)
    try:
        load_kubeconfig([path]).resolve()
    except KubeconfigError as exc:
        assert str(exc).endswith(".")
