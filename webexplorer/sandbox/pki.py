"""A throwaway PKI for the sandbox control plane.

The explorer must be tested against a server that really verifies TLS and really authenticates clients,
so the sandbox cannot run with self-signed "insecure" certificates. This module makes, with nothing but
``cryptography``, one test CA, the API server's serving certificate (valid for every name a client may
use: loopback addresses and the in-cluster ``kubernetes.default.svc`` names), client certificates (the
admin, the controller-manager) and the key pair that signs service-account tokens.

Keys are ECDSA P-256 for TLS (fast to generate, accepted by Go and OpenSSL) and RSA-2048 for service
account tokens (RS256 is what every real cluster issues, so token parsing code sees the usual ``alg``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: Names the API server answers to: loopback for tests, the ``kubernetes`` Service names for in-cluster
#: clients, and the first address of ``--service-cluster-ip-range=10.0.0.0/24`` (the Service's ClusterIP,
#: a config value only: nothing is ever sent there).
DEFAULT_SERVING_HOSTS: tuple[str, ...] = (
    "127.0.0.1",
    "::1",
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
    "10.0.0.1",
)

_VALIDITY = dt.timedelta(days=30)
# Back-date certificates a little so a clock that differs by seconds between processes cannot make a fresh
# certificate "not yet valid".
_BACKDATE = dt.timedelta(minutes=5)

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _new_tls_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: PrivateKey) -> bytes:
    """PKCS#8 PEM of a private key, unencrypted (these keys live and die with one test session)."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def cert_pem(cert: x509.Certificate) -> bytes:
    """PEM of a certificate."""
    return cert.public_bytes(serialization.Encoding.PEM)


def _san(hosts: Sequence[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


@dataclass(frozen=True)
class IssuedCert:
    """A certificate with its private key, as issued by :class:`CertificateAuthority`."""

    cert: x509.Certificate
    key: PrivateKey

    @property
    def cert_pem(self) -> bytes:
        """The certificate in PEM."""
        return cert_pem(self.cert)

    @property
    def key_pem(self) -> bytes:
        """The private key in PEM (PKCS#8)."""
        return key_pem(self.key)

    def write(self, cert_path: Path, key_path: Path) -> None:
        """Write the pair, the key readable by its owner only (Go tools warn about wider modes)."""
        cert_path.write_bytes(self.cert_pem)
        _write_private(key_path, self.key_pem)


@dataclass(frozen=True)
class CertificateAuthority:
    """A self-signed CA able to issue serving and client certificates."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @classmethod
    def create(cls, common_name: str = "webexplorer-sandbox-ca") -> CertificateAuthority:
        """Make a fresh CA; every call yields an unrelated one (tests use a second one as "wrong CA")."""
        key = _new_tls_key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _BACKDATE)
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(cert=cert, key=key)

    @property
    def cert_pem(self) -> bytes:
        """The CA certificate in PEM: what goes into ``ca.crt`` and kubeconfig ``certificate-authority``."""
        return cert_pem(self.cert)

    def _issue(
        self,
        subject: x509.Name,
        usage: x509.ObjectIdentifier,
        hosts: Sequence[str] = (),
    ) -> IssuedCert:
        key = _new_tls_key()
        now = _now()
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _BACKDATE)
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
        )
        if hosts:
            builder = builder.add_extension(_san(hosts), critical=False)
        return IssuedCert(cert=builder.sign(self.key, hashes.SHA256()), key=key)

    def issue_serving(self, hosts: Sequence[str] = DEFAULT_SERVING_HOSTS) -> IssuedCert:
        """A TLS server certificate whose SANs are ``hosts`` (IP literals become IP SANs)."""
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0] if hosts else "server")])
        return self._issue(subject, ExtendedKeyUsageOID.SERVER_AUTH, hosts)

    def issue_client(self, user: str, groups: Sequence[str] = ()) -> IssuedCert:
        """A client certificate as Kubernetes reads it: CN is the user name, each O is a group."""
        attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, group) for group in groups]
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, user))
        return self._issue(x509.Name(attrs), ExtendedKeyUsageOID.CLIENT_AUTH)


def _write_private(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 from the start, so the key is never briefly world-readable."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


@dataclass(frozen=True)
class SandboxPKI:
    """Paths of everything :func:`write_pki` produced."""

    directory: Path
    ca_cert: Path
    ca_key: Path
    serving_cert: Path
    serving_key: Path
    admin_cert: Path
    admin_key: Path
    controller_manager_cert: Path
    controller_manager_key: Path
    service_account_key: Path
    service_account_pub: Path
    front_proxy_ca_cert: Path
    front_proxy_client_cert: Path
    front_proxy_client_key: Path


def write_pki(directory: Path, hosts: Sequence[str] = DEFAULT_SERVING_HOSTS) -> SandboxPKI:
    """Create a complete PKI for one control plane in ``directory`` and return the file paths.

    The admin certificate is ``CN=admin, O=system:masters`` (cluster-admin through the built-in group).
    The controller-manager gets its own identity, ``system:kube-controller-manager``, which the
    bootstrap RBAC policy already authorises, exactly as kubeadm sets it up. A front-proxy CA and client
    certificate configure the aggregation layer's request-header authentication, which delegated
    authenticators (the controller-manager's own secure port, aggregated API servers) expect to find.
    """
    directory.mkdir(parents=True, exist_ok=True)
    ca = CertificateAuthority.create()
    paths = SandboxPKI(
        directory=directory,
        ca_cert=directory / "ca.crt",
        ca_key=directory / "ca.key",
        serving_cert=directory / "apiserver.crt",
        serving_key=directory / "apiserver.key",
        admin_cert=directory / "admin.crt",
        admin_key=directory / "admin.key",
        controller_manager_cert=directory / "controller-manager.crt",
        controller_manager_key=directory / "controller-manager.key",
        service_account_key=directory / "sa.key",
        service_account_pub=directory / "sa.pub",
        front_proxy_ca_cert=directory / "front-proxy-ca.crt",
        front_proxy_client_cert=directory / "front-proxy-client.crt",
        front_proxy_client_key=directory / "front-proxy-client.key",
    )
    paths.ca_cert.write_bytes(ca.cert_pem)
    _write_private(paths.ca_key, key_pem(ca.key))
    ca.issue_serving(hosts).write(paths.serving_cert, paths.serving_key)
    ca.issue_client("admin", ["system:masters"]).write(paths.admin_cert, paths.admin_key)
    ca.issue_client("system:kube-controller-manager").write(
        paths.controller_manager_cert, paths.controller_manager_key
    )
    # The aggregation layer's own CA, separate from the client CA as in kubeadm: a certificate from it
    # lets its holder assert any identity in X-Remote-User headers, so it must not double as a login.
    front_proxy = CertificateAuthority.create("webexplorer-sandbox-front-proxy-ca")
    paths.front_proxy_ca_cert.write_bytes(front_proxy.cert_pem)
    front_proxy.issue_client("front-proxy-client").write(
        paths.front_proxy_client_cert, paths.front_proxy_client_key
    )
    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _write_private(paths.service_account_key, key_pem(sa_key))
    paths.service_account_pub.write_bytes(
        sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return paths
