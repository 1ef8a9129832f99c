"""TLS contexts built in memory, so key material from a kubeconfig never lands in a file we must clean up.

httpx takes an :class:`ssl.SSLContext`. CA certificates load from memory (``cadata``). Client
certificates are the awkward part: :meth:`ssl.SSLContext.load_cert_chain` only takes file names. On
Linux we hand it an anonymous ``memfd`` through ``/proc/self/fd`` — RAM only, gone when closed, never
visible in any directory. Elsewhere we fall back to a private temporary directory (0700, files 0600)
that is removed the moment the context has read the files. Either way the PEM lives on only inside
OpenSSL's memory, and nothing needs removing at ``aclose()``.
"""

from __future__ import annotations

import contextlib
import os
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class TLSSettings:
    """How to check the server and how to present ourselves. Secrets are kept out of ``repr``."""

    #: PEM bundle to trust; None means the system trust store
    ca_pem: bytes | None = field(default=None, repr=False)
    #: what the server is checked against, for messages: "ca.crt at /var/run/...", "the system trust store"
    trust: str = "the system trust store"
    insecure: bool = False
    #: client certificate and key as PEM (a kubeconfig's files are read into memory when it is resolved)
    client_cert_pem: bytes | None = field(default=None, repr=False)
    client_key_pem: bytes | None = field(default=None, repr=False)
    #: the name to verify the certificate against and send as SNI (kubeconfig tls-server-name)
    server_name: str | None = None


def build_ssl_context(tls: TLSSettings) -> ssl.SSLContext:
    """An SSLContext for ``tls``; raises :class:`ssl.SSLError`/:class:`OSError` on bad material
    (the caller words the sentence, since only it knows which file or field the material came from)."""
    if tls.insecure:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif tls.ca_pem is not None:
        ctx = ssl.create_default_context(cadata=tls.ca_pem.decode("ascii", errors="replace"))
    else:
        ctx = ssl.create_default_context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if tls.client_cert_pem is not None and tls.client_key_pem is not None:
        load_cert_chain_from_memory(ctx, tls.client_cert_pem, tls.client_key_pem)
    return ctx


def load_cert_chain_from_memory(ctx: ssl.SSLContext, cert_pem: bytes, key_pem: bytes) -> None:
    """Load a client certificate and key given as PEM bytes into ``ctx`` without leaving a file behind.

    Calling it again replaces the chain (exec plugins hand out new certificates); connections opened
    afterwards present the new one.
    """
    with _pem_paths(cert_pem, key_pem) as (cert_path, key_path):
        ctx.load_cert_chain(cert_path, key_path)


@contextlib.contextmanager
def _pem_paths(cert_pem: bytes, key_pem: bytes) -> Iterator[tuple[str, str]]:
    memfd_create = getattr(os, "memfd_create", None)
    if memfd_create is not None and os.path.isdir("/proc/self/fd"):
        fds: list[int] = []
        try:
            for name, data in (("webexplorer-cert", cert_pem), ("webexplorer-key", key_pem)):
                fd = memfd_create(name, os.MFD_CLOEXEC)
                fds.append(fd)
                _write_all(fd, data)
            yield f"/proc/self/fd/{fds[0]}", f"/proc/self/fd/{fds[1]}"
        finally:
            for fd in fds:
                os.close(fd)
        return
    with tempfile.TemporaryDirectory(prefix="webexplorer-tls-") as tmp:  # mode 0700
        paths = []
        for name, data in (("client.crt", cert_pem), ("client.key", key_pem)):
            path = os.path.join(tmp, name)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                _write_all(fd, data)
            finally:
                os.close(fd)
            paths.append(path)
        yield paths[0], paths[1]


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
