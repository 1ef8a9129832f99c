"""``kubectl proxy`` in front of the sandbox, as a user would run it next to the explorer.

The explorer's "kubectl proxy on 127.0.0.1:8001" mode is exercised against the real kubectl of the same
build. kubectl binds ``--port=0`` itself and prints the port it got, which avoids racing other processes
for a pre-chosen free port.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from types import TracebackType

import httpx

from webexplorer.ports import LOOPBACK, wait_until
from webexplorer.sandbox.process import ManagedProcess

_SERVING = re.compile(r"Starting to serve on 127\.0\.0\.1:(\d+)")


class KubectlProxy:
    """A running ``kubectl proxy``; :attr:`url` is ``http://127.0.0.1:PORT``."""

    def __init__(
        self, kubectl: Path, kubeconfig: Path, log_path: Path, port: int = 0, context: str | None = None
    ) -> None:
        self._process = ManagedProcess(
            "kubectl-proxy",
            [
                str(kubectl),
                f"--kubeconfig={kubeconfig}",
                *([f"--context={context}"] if context else []),
                "proxy",
                f"--address={LOOPBACK}",
                f"--port={port}",
            ],
            log_path,
        )
        self.port: int | None = port or None

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        if self.port is None:
            raise RuntimeError("kubectl proxy is not started")
        return f"http://{LOOPBACK}:{self.port}"

    def _port_from_log(self) -> bool:
        match = _SERVING.search(self._process.tail(20))
        if match:
            self.port = int(match.group(1))
        return match is not None

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/version", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def start(self, timeout: float = 30.0) -> KubectlProxy:
        """Start kubectl and wait until the proxy forwards ``/version`` successfully."""
        self._process.start()
        started = time.monotonic()
        try:
            if self.port is None:
                wait_until(
                    self._port_from_log,
                    timeout=timeout,
                    what="kubectl proxy's port",
                    alive=self._process.exit_problem,
                )
            wait_until(
                self._answers,
                timeout=max(1.0, timeout - (time.monotonic() - started)),
                what="kubectl proxy answering /version",
                alive=self._process.exit_problem,
            )
        except (TimeoutError, RuntimeError) as exc:
            self.stop()
            raise RuntimeError(
                f"{exc}; last lines of {self._process.log_path}:\n{self._process.tail()}"
            ) from None
        return self

    def stop(self) -> None:
        """Stop kubectl (SIGTERM, then SIGKILL)."""
        self._process.stop(timeout=5.0)

    def __enter__(self) -> KubectlProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
