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
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from webexplorer.sandbox.binaries import Binaries, BuildError, ensure_binaries
from webexplorer.sandbox.controlplane import ControlPlane, ControlPlaneError
from webexplorer.sandbox.hostnet import HostNetworkError
from webexplorer.sandbox.images import ImageBuilder, build_node_images
from webexplorer.sandbox.node import NodeError, running_node
from webexplorer.sandbox.node_binaries import NodeBinaries, ensure_helm, ensure_node_binaries

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
        "--node",
        action="store_true",
        help="also run a real node (containerd, kubelet, kube-proxy, kube-scheduler; needs root) with the "
        "explorer's image built from the Dockerfile: kubectl apply -k k8s/test/base then works",
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
    options: dict[str, Any] = {
        "state_dir": getattr(args, "state_dir", None),
        "keep": getattr(args, "keep", False),
        "port": getattr(args, "apiserver_port", None),
        "ready_timeout": getattr(args, "ready_timeout", 90.0),
    }
    if getattr(args, "node", False):
        return _run_with_node(binaries, options, serve)
    control_plane = ControlPlane(binaries, log=_out, **options)
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


def _run_with_node(binaries: Binaries, options: dict[str, Any], serve: Serve | None) -> int:
    """``--node``: the node's parts and images built, then the control plane and a Ready node."""
    try:
        node_binaries = ensure_node_binaries(_out)
        with tempfile.TemporaryDirectory(prefix="webexplorer-images-") as images_dir:
            archives = build_node_images(binaries.kubectl, Path(images_dir), _out)
            return _serve_node(binaries, node_binaries, archives, options, serve)
    except BuildError as exc:
        _err(str(exc))
        return 2


def _serve_node(
    binaries: Binaries,
    node_binaries: NodeBinaries,
    archives: tuple[Path, ...],
    options: dict[str, Any],
    serve: Serve | None,
) -> int:
    with _stop_signals_as_interrupt():
        try:
            with running_node(node_binaries, archives, log=_out, binaries=binaries, **options) as node:
                _announce(node.plane)
                kubectl = shlex.quote(str(node.plane.kubectl))
                _out(
                    f"node {node.name} is Ready (logs: {node.log_dir}); try:\n"
                    f"  {kubectl} apply -k k8s/test/base\n"
                    f"  {kubectl} -n webexplorer port-forward svc/webexplorer 8080:80"
                )
                if serve is not None:
                    return serve(node.plane)
                _out("press Ctrl-C to stop")
                while not (dead := node.plane.dead_components() + node.dead_components()):
                    time.sleep(1.0)
                _err(f"{', '.join(dead)} stopped unexpectedly; logs are in {node.log_dir}")
                return 1
        except (ControlPlaneError, NodeError, HostNetworkError) as exc:
            _err(str(exc))
            return 1
        except KeyboardInterrupt:
            _out("\nstopping")
            return 0


def run_build(args: argparse.Namespace) -> int:
    """``build``: only make sure the binaries are built and cached, and print where they are."""
    try:
        binaries = ensure_binaries(_out)
    except BuildError as exc:
        _err(str(exc))
        return 2
    paths: list[tuple[str, Path | None]] = [
        ("etcd", binaries.etcd),
        ("kube-apiserver", binaries.kube_apiserver),
        ("kube-controller-manager", binaries.kube_controller_manager),
        ("kubectl", binaries.kubectl),
    ]
    try:
        if getattr(args, "node", False):
            node = ensure_node_binaries(_out)
            ImageBuilder(_out).ensure_base_image()
            paths += [
                ("containerd", node.containerd),
                ("kubelet", node.kubelet),
                ("kube-proxy", node.kube_proxy),
                ("kube-scheduler", node.kube_scheduler),
            ]
        if getattr(args, "helm", False):
            paths.append(("helm", ensure_helm(_out)))
    except BuildError as exc:
        _err(str(exc))
        return 2
    for name, path in paths:
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
    build = commands.add_parser("build", help="only build and cache the binaries")
    build.add_argument("--node", action="store_true", help="also a node's parts and the base image")
    build.add_argument("--helm", action="store_true", help="also helm")
    arguments = sys.argv[1:] if argv is None else argv
    if not arguments or arguments[0] not in {"run", "build", "-h", "--help"}:
        arguments = ["run", *arguments]
    args = parser.parse_args(arguments)
    if args.command == "build":
        return run_build(args)
    return run_sandbox(args)
