"""``webexplorer sandbox``: run the real control plane in the foreground until Ctrl-C.

``webexplorer/cli.py`` mounts this as a subcommand with :func:`add_sandbox_arguments` and
:func:`run_sandbox`; ``python -m webexplorer.sandbox`` uses the same two functions. ``run_sandbox`` takes
an optional ``serve`` callback that runs while the control plane is up (for example the explorer itself
pointed at the sandbox's kubeconfig); without one it simply waits for Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from webexplorer.sandbox.binaries import BuildError, ensure_binaries
from webexplorer.sandbox.controlplane import ControlPlane, ControlPlaneError

#: Runs while the control plane is up; its return value becomes the exit status. It should return when
#: the user wants to stop (Ctrl-C/SIGTERM reach it as :class:`KeyboardInterrupt` unless it handles them).
Serve = Callable[[ControlPlane], int]


def _err(message: str) -> None:
    print(f"webexplorer sandbox: {message}", file=sys.stderr, flush=True)


def _out(message: str) -> None:
    print(message, flush=True)


def add_sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``webexplorer sandbox`` to ``parser``."""
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the state dir (etcd data, PKI, kubeconfig, logs) after stopping",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="put the state in DIR (must be empty or new; default: a temp dir)",
    )
    parser.add_argument(
        "--apiserver-port",
        type=int,
        default=None,
        metavar="PORT",
        help="kube-apiserver port on 127.0.0.1 (default: a free one)",
    )
    parser.add_argument(
        "--ready-timeout",
        type=float,
        default=90.0,
        metavar="SECONDS",
        help="give up if the control plane is not usable after this long (default: 90)",
    )


@contextmanager
def _stop_signals_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM and SIGINT into :class:`KeyboardInterrupt` so every way of stopping cleans up.

    SIGTERM is what ``kill``, ``timeout`` and service managers send. SIGINT is installed explicitly too:
    a process started in the background by a non-interactive shell inherits SIGINT *ignored*, and Python
    then never raises KeyboardInterrupt for it.
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def wait_forever(control_plane: ControlPlane) -> int:
    """The default ``serve``: block until interrupted, or until a component dies (status 1)."""
    _out("press Ctrl-C to stop")
    while True:
        time.sleep(1.0)
        if dead := control_plane.dead_components():
            _err(f"{', '.join(dead)} stopped unexpectedly; logs are in {control_plane.log_dir}")
            control_plane.keep = True
            return 1


def _announce(control_plane: ControlPlane) -> None:
    kubeconfig = shlex.quote(str(control_plane.kubeconfig))
    _out(
        "\n".join(
            [
                f"sandbox Kubernetes {control_plane.version} is ready at {control_plane.url}",
                f"  kubeconfig: {control_plane.kubeconfig}",
                f"  kubectl:    {control_plane.kubectl}",
                f"  CA:         {control_plane.ca_file}",
                f"  audit log:  {control_plane.audit_log}",
                f"  logs:       {control_plane.log_dir}",
                "use it with:",
                f"  export KUBECONFIG={kubeconfig}",
                f"  {shlex.quote(str(control_plane.kubectl))} get namespaces",
            ]
        )
    )


def run_sandbox(args: argparse.Namespace, serve: Serve | None = None) -> int:
    """Build on first use, start the control plane, run ``serve`` (default: wait), stop; return a status."""
    try:
        binaries = ensure_binaries(_out)
    except BuildError as exc:
        _err(str(exc))
        return 2
    # getattr: the namespace may come from a parser that mounted only some of our options.
    control_plane = ControlPlane(
        binaries,
        state_dir=getattr(args, "state_dir", None),
        keep=getattr(args, "keep", False),
        port=getattr(args, "apiserver_port", None),
        log=_out,
        ready_timeout=getattr(args, "ready_timeout", 90.0),
    )
    status = 0
    with _stop_signals_as_interrupt():
        try:
            control_plane.start()
            _announce(control_plane)
            status = (serve or wait_forever)(control_plane)
        except ControlPlaneError as exc:
            _err(str(exc))
            status = 1
        except KeyboardInterrupt:
            _out("\nstopping")
        finally:
            control_plane.stop()
    return status


def run_build(args: argparse.Namespace) -> int:
    """``build``: only make sure the binaries are built and cached, and print where they are."""
    try:
        binaries = ensure_binaries(_out)
    except BuildError as exc:
        _err(str(exc))
        return 2
    for name, path in (
        ("etcd", binaries.etcd),
        ("kube-apiserver", binaries.kube_apiserver),
        ("kube-controller-manager", binaries.kube_controller_manager),
        ("kubectl", binaries.kubectl),
    ):
        _out(f"{name:24} {path if path is not None else '(not available)'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m webexplorer.sandbox [run|build] ...``."""
    parser = argparse.ArgumentParser(
        prog="python -m webexplorer.sandbox",
        description="Build and run a real Kubernetes control plane (etcd, apiserver, controller-manager).",
    )
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="start the control plane and wait for Ctrl-C (the default)")
    add_sandbox_arguments(run)
    commands.add_parser("build", help="only build and cache the binaries")
    arguments = sys.argv[1:] if argv is None else argv
    if not arguments or arguments[0] not in {"run", "build", "-h", "--help"}:
        arguments = ["run", *arguments]
    args = parser.parse_args(arguments)
    if args.command == "build":
        return run_build(args)
    return run_sandbox(args)
