"""The sandbox PKI issues what the API server and its clients need (no cluster involved)."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from webexplorer.sandbox.atomic_writer import AtomicWriter
from webexplorer.sandbox.pki import write_pki


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_serving_certificate_names_and_chain(tmp_path: Path) -> None:
    pki = write_pki(tmp_path)
    ca = _cert(pki.ca_cert)
    serving = _cert(pki.serving_cert)
    san = serving.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")} <= set(
        san.get_values_for_type(x509.IPAddress)
    )
    assert {"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"} <= set(
        san.get_values_for_type(x509.DNSName)
    )
    serving.verify_directly_issued_by(ca)
    usage = serving.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in usage
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_admin_client_certificate_and_keys(tmp_path: Path) -> None:
    pki = write_pki(tmp_path)
    admin = _cert(pki.admin_cert)
    assert admin.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "admin"
    assert admin.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "system:masters"
    admin.verify_directly_issued_by(_cert(pki.ca_cert))
    for key in (pki.admin_key, pki.serving_key, pki.ca_key, pki.service_account_key):
        assert oct(os.stat(key).st_mode & 0o777) == "0o600"
        load_pem_private_key(key.read_bytes(), password=None)
    assert b"PUBLIC KEY" in pki.service_account_pub.read_bytes()


def test_atomic_writer_layout(tmp_path: Path) -> None:
    writer = AtomicWriter(tmp_path / "sa")
    assert writer.write({"token": b"one", "namespace": b"default"})
    assert not writer.write({"token": b"one", "namespace": b"default"})  # unchanged: no new dir
    first = os.readlink(tmp_path / "sa" / "..data")
    assert writer.write({"token": b"two", "namespace": b"default"})
    second = os.readlink(tmp_path / "sa" / "..data")
    assert first != second and first.startswith("..") and second.startswith("..")
    assert (tmp_path / "sa" / "token").read_text() == "two"
    assert os.readlink(tmp_path / "sa" / "token") == "..data/token"
    assert sorted(p.name for p in (tmp_path / "sa").iterdir()) == sorted(
        ["..data", second, "namespace", "token"]
    )
