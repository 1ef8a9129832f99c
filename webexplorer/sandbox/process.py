"""One child process of the sandbox: started with its output in a log file, stopped politely.

Control-plane components are long-running servers. We need three things from each: its output kept in a
file (to show the tail when it fails to become ready, and to keep as a test artifact), a fast "did it
die?" check while waiting for readiness, and a shutdown that gives it time to flush (etcd, the audit
log) before killing it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from webexplorer.ports import wait_until

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to SIGTERM the child when the process that started it dies.

    Without this, a test run killed with SIGKILL (CI time-out, a developer's ``kill -9``) leaves an
    apiserver and etcd running forever. Linux-only; elsewhere it is silently skipped. Linux ties this to
    the *thread* that forked, so it is only armed for children started from the main thread (a worker
    thread's exit would otherwise take the cluster down with it).
    """
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(libc_name, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class ManagedProcess:
    """A named child process whose stdout and stderr go to ``log_path``."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The process id, or ``None`` before :meth:`start`."""
        return self._process.pid if self._process else None

    def start(self) -> None:
        """Launch the program in its own session, so a Ctrl-C aimed at us reaches it only via :meth:`stop`.

        That lets the sandbox stop components in order (controller-manager, apiserver, then etcd) instead
        of all of them receiving SIGINT at once from the terminal.
        """
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as sink:
            sink.write(f"$ {' '.join(self.argv)}\n".encode())
            sink.flush()
            self._process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
                preexec_fn=_die_with_parent
                if threading.current_thread() is threading.main_thread()
                else None,
            )

    def exit_problem(self) -> str | None:
        """A message if the process has exited (for :func:`~webexplorer.ports.wait_until`)."""
        if self._process is None:
            return f"{self.name} was never started"
        code = self._process.poll()
        if code is None:
            return None
        return f"{self.name} exited with status {code}"

    def running(self) -> bool:
        """Whether the process is alive."""
        return self._process is not None and self._process.poll() is None

    def tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of the log, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def rss_bytes(self) -> int | None:
        """Resident memory of the process now, read from ``/proc`` (``None`` if unavailable)."""
        if self._process is None or self._process.poll() is not None:
            return None
        try:
            status = Path(f"/proc/{self._process.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return None

    def kill(self) -> None:
        """SIGKILL the process group now and reap it: a crash (no flushing, no graceful shutdown), for
        fault-injection tests and benchmarks; idempotent. :meth:`start` may launch it again."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, wait up to ``timeout`` seconds, then SIGKILL; idempotent."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for(
    process: ManagedProcess,
    condition: Callable[[], bool],
    what: str,
    *,
    timeout: float,
    interval: float,
    error: type[Exception],
) -> float:
    """Poll ``condition`` while ``process`` lives; on a timeout or its exit raise ``error`` with the tail
    of its log, which is what one needs to see when a component does not come up. Returns seconds."""
    try:
        alive = process.exit_problem
        return wait_until(condition, timeout=timeout, interval=interval, what=what, alive=alive)
    except (TimeoutError, RuntimeError) as exc:
        raise error(
            f"{exc} while waiting for {what}; last lines of {process.log_path}:\n{process.tail()}"
        ) from None
