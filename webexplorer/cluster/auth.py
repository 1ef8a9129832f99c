"""Where credentials come from, and the one ``httpx.Auth`` that puts them on requests.

A :class:`CredentialSource` hands out the current :class:`Credential` and, after a 401, a fresher one
if it can. :class:`KubeAuth` asks it before every request and, on a 401, asks once more and retries
once — but only if the credential really changed, so a bad static token costs one request, not two.
Because this is an auth *flow*, it runs for streamed requests (watches) too.

The sources match client-go's behaviour:

* :class:`TokenFileSource` — ``token`` files (in-cluster and kubeconfig ``tokenFile``) are re-read every
  ``refresh_interval`` seconds (client-go: one minute) and at once after a 401. The *path* is re-opened
  each time, which is all it takes to follow the kubelet's ``..data`` symlink swap. If a re-read fails
  the last good token is kept (the file is mid-swap, or briefly gone), as client-go does.
* :class:`ExecSource` — runs the exec plugin when there is no credential, when it expired, or after a
  401; concurrent requests share one run.
* :class:`StaticTokenSource`, :class:`BasicSource`, :class:`NoCredentialSource`.

No credential value ever appears in a ``repr``, a log line or an exception.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from webexplorer.cluster.errors import CredentialError
from webexplorer.cluster.execplugin import (
    DEFAULT_EXEC_TIMEOUT,
    ExecCredential,
    describe_command,
    run_exec_plugin,
)
from webexplorer.cluster.kubeexec import ExecSpec

log = logging.getLogger(__name__)

DEFAULT_TOKEN_REFRESH = 60.0


@dataclass(frozen=True, slots=True)
class Credential:
    """The value of an ``Authorization`` header (or none). Compared by identity of the secret."""

    authorization: str | None = field(default=None, repr=False)


NO_CREDENTIAL = Credential()


class CredentialSource:
    """Base class: a source of credentials with a human description of where they come from."""

    def describe(self) -> str:
        """Where the credential comes from, for the UI; never the credential itself."""
        raise NotImplementedError

    async def get(self) -> Credential:
        """The credential to use now (cached where the source allows)."""
        raise NotImplementedError

    async def after_unauthorized(self, used: Credential) -> Credential | None:
        """Called after a 401 for a request sent with ``used``: a *different* credential worth one
        retry, or None when there is nothing fresher to try."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()!r})"


class NoCredentialSource(CredentialSource):
    """No Authorization header: kubectl proxy or an ambassador adds the identity."""

    def __init__(self, description: str = "none") -> None:
        self._description = description

    def describe(self) -> str:
        return self._description

    async def get(self) -> Credential:
        return NO_CREDENTIAL


class StaticTokenSource(CredentialSource):
    """A token written into the kubeconfig; a 401 cannot be fixed by asking again."""

    def __init__(self, token: str, description: str = "bearer token from the kubeconfig") -> None:
        self._credential = Credential(f"Bearer {token}")
        self._description = description

    def describe(self) -> str:
        return self._description

    async def get(self) -> Credential:
        return self._credential


class BasicSource(CredentialSource):
    """Username and password from the kubeconfig (old clusters and some proxies still take them)."""

    def __init__(self, username: str, password: str) -> None:
        raw = f"{username}:{password}".encode()
        self._credential = Credential("Basic " + base64.b64encode(raw).decode("ascii"))
        self._username = username

    def describe(self) -> str:
        return f"basic auth as {self._username!r} from the kubeconfig"

    async def get(self) -> Credential:
        return self._credential


class TokenFileSource(CredentialSource):
    """A bearer token file, re-read every ``refresh_interval`` seconds and at once after a 401."""

    def __init__(
        self,
        path: Path,
        refresh_interval: float = DEFAULT_TOKEN_REFRESH,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.refresh_interval = refresh_interval
        self._clock = clock
        self._credential: Credential | None = None
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()
        #: how many times the file was actually read (tests check the cache with it)
        self.reads = 0

    def describe(self) -> str:
        return f"bearer token from {self.path} (re-read every {self.refresh_interval:g} s)"

    async def get(self) -> Credential:
        if self._credential is not None and self._clock() - self._read_at < self.refresh_interval:
            return self._credential
        async with self._lock:
            if self._credential is not None and self._clock() - self._read_at < self.refresh_interval:
                return self._credential
            return await self._reload()

    async def after_unauthorized(self, used: Credential) -> Credential | None:
        async with self._lock:
            current = self._credential
            if current is not None and current.authorization != used.authorization:
                return current  # another request already picked up a newer token
            fresh = await self._reload()
        return fresh if fresh.authorization != used.authorization else None

    async def _reload(self) -> Credential:
        try:
            raw = await asyncio.to_thread(self.path.read_bytes)
        except OSError as exc:
            if self._credential is not None:
                log.warning(
                    "could not re-read token file %s (%s); keeping the last token", self.path, exc.strerror
                )
                self._read_at = self._clock()
                return self._credential
            raise CredentialError(
                f"The bearer token file {self.path} could not be read "
                f"({exc.strerror or type(exc).__name__}): check that the service-account volume (or the "
                "kubeconfig's tokenFile) is mounted and readable."
            ) from None
        self.reads += 1
        token = raw.decode("utf-8", errors="replace").strip()
        if not token:
            if self._credential is not None:
                self._read_at = self._clock()
                return self._credential
            raise CredentialError(
                f"The bearer token file {self.path} is empty: check the service-account volume (or the "
                "kubeconfig's tokenFile)."
            )
        credential = Credential(f"Bearer {token}")
        if self._credential is not None and credential.authorization != self._credential.authorization:
            log.info("token file %s changed; using the new token", self.path)
        self._credential = credential
        self._read_at = self._clock()
        return credential


class ExecSource(CredentialSource):
    """An exec credential plugin: run on demand, cached until ``expirationTimestamp``, re-run after a 401.

    When the plugin hands out a client certificate, ``on_client_cert(cert_pem, key_pem)`` installs it in
    the connection's TLS context before the request is sent.
    """

    def __init__(
        self,
        spec: ExecSpec,
        *,
        on_client_cert: Callable[[bytes, bytes], None] | None = None,
        timeout: float = DEFAULT_EXEC_TIMEOUT,
    ) -> None:
        self.spec = spec
        self._on_client_cert = on_client_cert
        self._timeout = timeout
        self._exec: ExecCredential | None = None
        self._credential: Credential | None = None
        self._cert: tuple[bytes, bytes] | None = None
        self._lock = asyncio.Lock()
        #: how many times the plugin ran
        self.runs = 0

    def describe(self) -> str:
        return f"exec plugin {describe_command(self.spec)}"

    async def get(self) -> Credential:
        if self._credential is not None and self._exec is not None and self._exec.fresh():
            return self._credential
        async with self._lock:
            if self._credential is not None and self._exec is not None and self._exec.fresh():
                return self._credential
            return await self._run()

    async def after_unauthorized(self, used: Credential) -> Credential | None:
        async with self._lock:
            if self._credential is not None and self._credential is not used:
                return self._credential
            old_cert = self._cert
            fresh = await self._run()
        changed = fresh.authorization != used.authorization or self._cert != old_cert
        return fresh if changed else None

    async def _run(self) -> Credential:
        result = await run_exec_plugin(self.spec, time_limit=self._timeout)
        self.runs += 1
        if result.client_cert_pem is not None and result.client_key_pem is not None:
            cert = (result.client_cert_pem, result.client_key_pem)
            if cert != self._cert:
                if self._on_client_cert is None:
                    raise CredentialError(
                        f"The exec credential plugin {describe_command(self.spec)!r} returned a client "
                        "certificate, which this connection cannot use: use a plugin that returns a token."
                    )
                try:
                    self._on_client_cert(*cert)
                except Exception as exc:
                    raise CredentialError(
                        f"The client certificate from exec plugin {describe_command(self.spec)!r} could "
                        f"not be loaded ({type(exc).__name__}): check that the plugin prints a PEM "
                        "certificate and key."
                    ) from None
                self._cert = cert
        self._exec = result
        self._credential = Credential(f"Bearer {result.token}" if result.token else None)
        return self._credential


class KubeAuth(httpx.Auth):
    """Adds the current credential, and on a 401 retries once with a fresher one if there is one."""

    requires_request_body = False
    requires_response_body = False

    def __init__(self, source: CredentialSource) -> None:
        self.source = source

    def __repr__(self) -> str:
        return f"KubeAuth({self.source!r})"

    @staticmethod
    def _apply(request: httpx.Request, credential: Credential) -> None:
        if credential.authorization is not None:
            request.headers["Authorization"] = credential.authorization
        else:
            request.headers.pop("Authorization", None)

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("webexplorer's cluster connection is async-only")

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        credential = await self.source.get()
        self._apply(request, credential)
        response = yield request
        if response.status_code != 401:
            return
        fresher = await self.source.after_unauthorized(credential)
        if fresher is None:
            return
        log.info(
            "401 from %s; retrying once with a refreshed credential (%s)",
            request.url.host,
            self.source.describe(),
        )
        self._apply(request, fresher)
        yield request
