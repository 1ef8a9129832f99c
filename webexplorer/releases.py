"""Record the API of each embedded Kubernetes release from a real ``kube-apiserver`` of that release.

``scripts/record-releases`` runs ``python3 -m webexplorer.releases [1.33.13 ...]``: for each release it
builds that release's API server from its Go module (:func:`~webexplorer.sandbox.binaries.ensure_apiserver`,
cached), starts it on the sandbox's etcd (one etcd v3.6 serves every release in the range), and records
discovery, OpenAPI and the deprecation ``Warning`` of every list with the same
:func:`~webexplorer.catalog.snapshot.record_snapshot` the ``webexplorer snapshot`` command uses, into
``webexplorer/data/snapshot-v<version>.jsonl.xz``. No controller-manager runs: the API a server serves
does not depend on one. A cold run of all seven takes about an hour on two cores (each build is minutes).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from webexplorer.catalog import SnapshotInfo, embedded_snapshot_path, record_snapshot
from webexplorer.cluster.connection import Connection
from webexplorer.cluster.kubeconfig import load_kubeconfig
from webexplorer.sandbox.binaries import KUBERNETES_VERSION, Binaries, ensure_apiserver, ensure_binaries
from webexplorer.sandbox.controlplane import ControlPlane, apiserver_flags_for

#: the latest patch of each of the last seven minors the Go module proxy serves (``@v/list``)
RELEASES = ("1.31.14", "1.32.13", "1.33.13", "1.34.4", "1.35.4", "1.36.3", KUBERNETES_VERSION)

Log = Callable[[str], None]


def snapshot_name(version: str) -> str:
    """``1.31.14`` → ``snapshot-v1.31.14.jsonl.xz``."""
    return f"snapshot-v{version.lstrip('v')}.jsonl.xz"


def data_dir() -> Path:
    """Where embedded snapshots live in the package."""
    return embedded_snapshot_path().parent


async def record_control_plane(plane: ControlPlane, out: Path, log: Log = print) -> SnapshotInfo:
    """Record the API of a started control plane into ``out``: the core both the script and the
    suite's fidelity test run."""
    async with Connection.from_kubeconfig(load_kubeconfig([plane.kubeconfig])) as connection:
        return await record_snapshot(connection, out, log)


def release_binaries(version: str, log: Log = print) -> Binaries:
    """etcd and kubectl of the pinned build with the ``kube-apiserver`` of ``version``."""
    base = ensure_binaries(log)
    apiserver = base.kube_apiserver if version == KUBERNETES_VERSION else ensure_apiserver(version, log)
    return Binaries(
        etcd=base.etcd, kube_apiserver=apiserver, kube_controller_manager=None, kubectl=base.kubectl
    )


def record_release(version: str, out_dir: Path, log: Log = print) -> SnapshotInfo:
    """Build (once), start and record one release; the control plane is stopped again afterwards."""
    plane = ControlPlane(
        release_binaries(version, log),
        log=log,
        ready_timeout=180.0,
        apiserver_flags=apiserver_flags_for(version),
    )
    with plane:
        if plane.version != f"v{version}":
            raise RuntimeError(f"the API server says it is {plane.version}, not v{version}")
        return asyncio.run(record_control_plane(plane, out_dir / snapshot_name(version), log))


def main(argv: Sequence[str]) -> int:
    versions = [v.lstrip("v") for v in argv] or list(RELEASES)
    out_dir = data_dir()
    failed: list[str] = []
    for version in versions:
        started = time.monotonic()
        try:
            info = record_release(version, out_dir, lambda line: print(line, flush=True))
        except Exception as exc:  # one release failing must not lose the others
            print(f"release v{version} FAILED: {exc}", flush=True)
            failed.append(version)
            continue
        print(
            f"release v{version}: {info.compressed_bytes / 1e3:.0f} kB in {time.monotonic() - started:.0f} s",
            flush=True,
        )
    if failed:
        print(f"failed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
