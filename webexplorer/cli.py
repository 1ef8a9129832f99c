"""The ``webexplorer`` command.

The serve flags are generated from :class:`webexplorer.settings.Settings`, so every ``--flag`` has its
``WEBEXPLORER_FLAG`` twin and a new setting can never be reachable one way but not the other. Only the
flags a person actually typed are passed on, which lets the environment fill in the rest.
"""

from __future__ import annotations

import argparse
import sys
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from webexplorer import __version__
from webexplorer.settings import Settings

SUBCOMMANDS = ("serve", "sandbox", "snapshot")
#: the explorer settings that make sense with ``sandbox`` (the connection is the sandbox's own)
SANDBOX_EXPLORER_SETTINGS = ("host", "port", "allow_writes", "refresh_interval", "log_json", "log_level")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _choices(annotation: Any) -> list[str] | None:
    if typing.get_origin(annotation) is typing.Literal:
        return [str(a) for a in typing.get_args(annotation)]
    return None


def _is_bool(annotation: Any) -> bool:
    return annotation is bool


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) is list


def _strip_optional(annotation: Any) -> Any:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def add_settings_arguments(parser: argparse.ArgumentParser, only: Sequence[str] | None = None) -> None:
    """Add one flag per :class:`Settings` field (or the named ones), defaulting to "not given"."""
    for name, info in Settings.model_fields.items():
        if only is not None and name not in only:
            continue
        annotation = _strip_optional(info.annotation)
        env = "WEBEXPLORER_" + name.upper()
        default = info.get_default(call_default_factory=True)
        shown = "" if default in (None, []) else f"; default {default}"
        help_text = f"{info.description} [env {env}{shown}]".replace("%", "%%")
        if _is_bool(annotation):
            parser.add_argument(
                _flag(name), action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS, help=help_text
            )
        elif _is_list(annotation):
            parser.add_argument(
                _flag(name), default=argparse.SUPPRESS, metavar="A,B", help=help_text + " (comma-separated)"
            )
        else:
            parser.add_argument(
                _flag(name),
                default=argparse.SUPPRESS,
                choices=_choices(annotation),
                metavar=None if _choices(annotation) else name.upper(),
                help=help_text,
            )


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from the typed flags, with the environment and defaults underneath."""
    given = {name: getattr(args, name) for name in Settings.model_fields if hasattr(args, name)}
    return Settings(**given)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="webexplorer",
        description="A fast, safe, server-rendered explorer for the Kubernetes REST API. "
        "With no subcommand, 'serve' is assumed.",
    )
    parser.add_argument("--version", action="version", version=f"webexplorer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{serve,sandbox,snapshot}")

    serve = sub.add_parser("serve", help="run the explorer (the default)")
    add_settings_arguments(serve)

    from webexplorer.sandbox.command import add_sandbox_arguments

    sandbox = sub.add_parser(
        "sandbox",
        help="start a real local control plane (etcd + kube-apiserver) and the explorer against it",
    )
    add_sandbox_arguments(sandbox)
    sandbox.add_argument(
        "--no-explorer", action="store_true", help="start only the control plane, not the explorer"
    )
    add_settings_arguments(sandbox, only=SANDBOX_EXPLORER_SETTINGS)

    snapshot = sub.add_parser("snapshot", help="record an API server's discovery and OpenAPI into one file")
    snapshot.add_argument("--out", required=True, help="file to write")
    add_settings_arguments(
        snapshot, only=("mode", "server", "kubeconfig", "context", "serviceaccount_dir", "request_timeout")
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "serve")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = settings_from_args(args)
        if args.command == "sandbox":
            return _sandbox(args, settings)
        if args.command == "snapshot":
            from webexplorer.snapshot_command import run_snapshot

            return run_snapshot(settings, args.out)
        from webexplorer.server import serve

        return serve(settings)
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            print(f"webexplorer: invalid setting {where}: {err['msg']}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _sandbox(args: argparse.Namespace, settings: Settings) -> int:
    """The control plane, and (unless ``--no-explorer``) the explorer against it with its kubeconfig."""
    from webexplorer.sandbox.command import run_sandbox

    if args.no_explorer:
        return run_sandbox(args)

    from webexplorer.sandbox.controlplane import ControlPlane
    from webexplorer.server import serve

    def serve_explorer(control_plane: ControlPlane) -> int:
        return serve(
            settings.model_copy(
                update={"mode": "kubeconfig", "kubeconfig": str(control_plane.kubeconfig), "context": None}
            )
        )

    return run_sandbox(args, serve_explorer)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
