"""Every benchmark of ``bench/`` still works: each runs its ``--quick`` variant (tiny counts, seconds
long) against one control plane of this module's own — the soak kills its API server and the large
cluster fills it with CRDs, which other tests must not see. No timing is asserted: figures from a test
run on a shared machine mean nothing; ``docs/performance.md`` holds the measured ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from bench import (
    browser,
    cold_start,
    comfort,
    connections,
    history,
    large_cluster,
    render,
    schema_facts,
    snippets,
    soak,
    steady,
    tryout_overhead,
    tryout_writes,
)
from bench._common import options, report
from webexplorer.sandbox.controlplane import ControlPlane


@pytest.fixture(scope="module")
def plane(own_control_plane: ControlPlane) -> ControlPlane:
    return own_control_plane


# In this order: the plain-cluster ones first, then those that add CRDs (render's heaviest pages install
# the shared CRDs, as schema_facts does), then those that restart the API server (steady's outage, the soak).
BENCHMARKS = [
    cold_start,
    tryout_overhead,
    snippets,
    comfort,
    connections,
    history,
    browser,
    schema_facts,
    render,
    tryout_writes,
    large_cluster,
    steady,
    soak,
]


@pytest.mark.parametrize("module", BENCHMARKS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_quick_variant_runs(module: ModuleType, plane: ControlPlane, tmp_path: Path, capsys) -> None:
    opts = options(module.add_arguments, ["--quick"])
    result = module.run(plane, tmp_path, opts)
    assert result.targets
    for t in result.targets:
        # each figure is a measured number, and each one with a target got the benchmark's own verdict
        # (not asserted true: a quick run on a shared machine meets nothing reliably)
        assert t.measured.strip() and t.figure.strip(), t
        assert t.met is None or isinstance(t.met, bool), t
    name = module.__name__.rsplit(".", 1)[-1]
    path = report(
        name, result, command=f"python -m bench.{name} --quick", started=0.0, quick=True, out=tmp_path
    )
    saved = json.loads(path.read_text())
    assert saved["quick"] is True and saved["targets"]
    printed = capsys.readouterr().out
    assert "figure" in printed and "target" in printed
    for t in result.targets:  # the closing table carries every verdict the benchmark computed
        assert any(
            t.figure in line and line.rstrip().endswith(t.row()[-1]) for line in printed.splitlines()
        ), t


def test_restart_apiserver_keeps_address_and_credentials(plane: ControlPlane) -> None:
    """The soak's fault: a SIGKILLed API server comes back on the same port with the same tokens."""
    with plane.client(timeout=2) as client:
        assert client.get("/version").status_code == 200
        plane.stop_apiserver(kill=True)
        with pytest.raises(httpx.TransportError):
            client.get("/version")
        assert "kube-apiserver" in plane.dead_components()
        seconds = plane.start_apiserver()
        assert seconds > 0
        assert client.get("/version").json()["gitVersion"] == plane.version
    assert plane.dead_components() == []
