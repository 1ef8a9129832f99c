"""Container images for the sandbox node, built here: no registry can be reached from this machine.

- ``python:3.11-slim``, the Dockerfile's base, as a local image: a Debian 12 root filesystem made by
  ``mmdebstrap`` (Debian 12 ships Python 3.11) with ``python`` (python-is-python3) and a pip that pip
  itself installed, so the Dockerfile's ``pip uninstall pip setuptools wheel`` works (Debian's own
  python3-pip has no RECORD file and cannot be uninstalled by pip). Package registries are reached
  through a TLS-intercepting proxy here, so the machine's extra CA certificates go into the image's trust
  store and pip is told to use it (``/etc/pip.conf``): a test base image, never one to publish.
- the explorer's image, built by ``buildah`` from the project's own ``Dockerfile``, unchanged;
- the ``kubectl`` ambassador image (the harness's kubectl on that base);
- the pod sandbox (pause) image, written by hand as an OCI archive: one layer holding our ``pause``.

Each image is written as an archive and imported into the node's containerd (``ctr images import``).
The base root filesystem is cached under the harness's cache directory; buildah keeps its own storage
there too, so nothing of the machine's ``/var/lib/containers`` is touched.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from webexplorer.sandbox.binaries import KUBERNETES_VERSION, BuildError, Log, build_lock, cache_root

DEBIAN_SUITE = "bookworm"
BASE_IMAGE = "docker.io/library/python:3.11-slim"
PAUSE_IMAGE = "registry.k8s.io/pause:3.10.1"
EXPLORER_IMAGE = "webexplorer.local/webexplorer:test"
KUBECTL_IMAGE = f"webexplorer.local/kubectl:v{KUBERNETES_VERSION}"
#: The repository whose Dockerfile is built (a source checkout: the image needs the Dockerfile next to it).
PROJECT_ROOT = Path(__file__).resolve().parents[2]

_BASE_PACKAGES = (
    "python3",
    "python-is-python3",
    "ca-certificates",
    # the wheels pip installs itself from (Debian's python3-pip would be dpkg's, without a RECORD)
    "python3-pip-whl",
    "python3-setuptools-whl",
    "python3-wheel-whl",
)

#: Run on the host with the new root filesystem as $1 (mmdebstrap's customize hook).
_CUSTOMIZE_HOOK = """set -eu
root="$1"
for cert in /usr/local/share/ca-certificates/*.crt; do
  [ -e "$cert" ] && cp "$cert" "$root/usr/local/share/ca-certificates/"
done
chroot "$root" update-ca-certificates >/dev/null
rm -f "$root"/usr/lib/python3*/EXTERNALLY-MANAGED
printf '[global]\\ncert = /etc/ssl/certs/ca-certificates.crt\\n' > "$root/etc/pip.conf"
chroot "$root" sh -eu -c '
  cd /usr/share/python-wheels
  set -- pip-*.whl
  python3 "$1/pip" install --no-index --no-cache-dir --disable-pip-version-check \\
    pip-*.whl setuptools-*.whl wheel-*.whl
'
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/usr/share/doc/* "$root"/usr/share/man/*
"""


def images_dir(root: Path | None = None) -> Path:
    """Cache directory of the base root filesystem and the buildah storage."""
    return (root or cache_root()) / "images"


def _run(argv: Sequence[str], what: str, *, log_file: Path, cwd: Path | None = None) -> str:
    with log_file.open("a") as sink:
        sink.write(f"\n$ {' '.join(argv)}\n")
        sink.flush()
        result = subprocess.run(
            list(argv), cwd=cwd, stdout=subprocess.PIPE, stderr=sink, text=True, check=False
        )
        sink.write(result.stdout)
    if result.returncode != 0:
        lines = [line for line in log_file.read_text().splitlines() if line.strip()]
        raise BuildError(f"{what} failed: {lines[-1] if lines else 'no output'} (full log: {log_file})")
    return result.stdout


class ImageBuilder:
    """buildah with its storage in the harness cache, and the archives it writes for containerd."""

    def __init__(self, log: Log = print, *, root: Path | None = None) -> None:
        self._log = log
        self._root = root or cache_root()
        self.dir = images_dir(self._root)
        self.log_file = self.dir / "build.log"

    def buildah_argv(self, *args: str) -> list[str]:
        storage = self.dir / "buildah"
        return [
            "buildah",
            "--root",
            str(storage / "root"),
            "--runroot",
            str(storage / "run"),
            "--storage-driver",
            "overlay",
            *args,
        ]

    def _has_image(self, name: str) -> bool:
        result = subprocess.run(
            self.buildah_argv("images", "--quiet", name), capture_output=True, text=True, check=False
        )
        return result.returncode == 0 and bool(result.stdout.strip())

    def base_rootfs(self) -> Path:
        """The Debian root filesystem tarball of the base image, made once with mmdebstrap."""
        tarball = self.dir / f"debian-{DEBIAN_SUITE}-python.tar"
        if tarball.is_file():
            return tarball
        self.dir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        self._log(f"making a Debian {DEBIAN_SUITE} root filesystem with Python (mmdebstrap, ~1 minute)")
        with tempfile.TemporaryDirectory(prefix=".tmp-rootfs-", dir=self.dir) as scratch:
            hook = Path(scratch) / "customize.sh"
            hook.write_text(_CUSTOMIZE_HOOK)
            partial = Path(scratch) / "rootfs.tar"
            _run(
                [
                    "mmdebstrap",
                    "--variant=minbase",
                    f"--include={','.join(_BASE_PACKAGES)}",
                    f'--customize-hook=sh {hook} "$1"',
                    DEBIAN_SUITE,
                    str(partial),
                ],
                "mmdebstrap",
                log_file=self.log_file,
            )
            partial.replace(tarball)
        self._log(f"  root filesystem ready in {time.monotonic() - started:.0f}s ({tarball})")
        return tarball

    def ensure_base_image(self) -> None:
        """``python:3.11-slim`` in buildah's storage, from :meth:`base_rootfs`."""
        with build_lock(self._root, self._log, "build-images"):
            if self._has_image(BASE_IMAGE):
                return
            rootfs = self.base_rootfs()
            container = _run(
                self.buildah_argv("from", "scratch"), "buildah from", log_file=self.log_file
            ).strip()
            try:
                _run(
                    self.buildah_argv("add", container, str(rootfs), "/"),
                    "buildah add",
                    log_file=self.log_file,
                )
                _run(
                    self.buildah_argv(
                        "config",
                        "--env",
                        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                        "--env",
                        "LANG=C.UTF-8",
                        "--cmd",
                        "python3",
                        container,
                    ),
                    "buildah config",
                    log_file=self.log_file,
                )
                _run(
                    self.buildah_argv("commit", container, BASE_IMAGE),
                    "buildah commit",
                    log_file=self.log_file,
                )
            finally:
                subprocess.run(self.buildah_argv("rm", container), capture_output=True, check=False)

    def build(self, name: str, context: Path, containerfile: Path | None = None) -> float:
        """``buildah build`` ``context`` (its Dockerfile, or ``containerfile``) as ``name``; the seconds."""
        started = time.monotonic()
        argv = self.buildah_argv(
            "build",
            "--format",
            "docker",  # keeps the Dockerfile's HEALTHCHECK (OCI image configs have no such field)
            "--isolation",
            "chroot",
            "--network",
            "host",  # the build stage's pip reaches the package registry like the host's does
            "--pull-never",
            # no layer cache: buildah 1.28 reuses a cached COPY layer after the copied files changed
            # (seen here: an edited module did not reach the image), so every build starts afresh
            "--no-cache",
            "--tag",
            name,
        )
        if containerfile is not None:
            argv += ["--file", str(containerfile)]
        _run([*argv, str(context)], f"buildah build of {name}", log_file=self.log_file)
        return time.monotonic() - started

    def build_from_directory(self, name: str, files: dict[str, Path], containerfile: str) -> float:
        """Build ``containerfile`` in a fresh context holding ``files`` (name in context -> source)."""
        with tempfile.TemporaryDirectory(prefix=".tmp-context-", dir=self.dir) as scratch:
            context = Path(scratch)
            for target, source in files.items():
                shutil.copy2(source, context / target)
            (context / "Containerfile").write_text(containerfile)
            return self.build(name, context, context / "Containerfile")

    def archive(self, name: str, destination: Path) -> Path:
        """Write image ``name`` as a docker-archive tarball (its RepoTags name it for ``ctr import``)."""
        destination.unlink(missing_ok=True)
        _run(
            self.buildah_argv("push", "--quiet", name, f"docker-archive:{destination}:{name}"),
            f"buildah push of {name}",
            log_file=self.log_file,
        )
        return destination


def build_node_images(kubectl: Path, out_dir: Path, log: Log = print) -> tuple[Path, ...]:
    """Build the explorer's image from the repository's Dockerfile and the kubectl ambassador's image;
    write both as archives in ``out_dir`` for :meth:`SandboxNode.start`."""
    builder = ImageBuilder(log)
    builder.ensure_base_image()
    seconds = builder.build(EXPLORER_IMAGE, PROJECT_ROOT)
    log(f"built {EXPLORER_IMAGE} from {PROJECT_ROOT / 'Dockerfile'} with buildah in {seconds:.0f}s")
    seconds = builder.build_from_directory(KUBECTL_IMAGE, {"kubectl": kubectl}, kubectl_containerfile())
    log(f"built {KUBECTL_IMAGE} in {seconds:.0f}s")
    out_dir.mkdir(parents=True, exist_ok=True)
    return tuple(
        builder.archive(name, out_dir / f"{name.rsplit('/', 1)[-1].replace(':', '-')}.tar")
        for name in (EXPLORER_IMAGE, KUBECTL_IMAGE)
    )


def kubectl_containerfile() -> str:
    """The ambassador image: the harness's kubectl on the base image."""
    return (
        f'FROM {BASE_IMAGE}\nCOPY kubectl /usr/local/bin/kubectl\nUSER 10002:10002\nENTRYPOINT ["kubectl"]\n'
    )


def pause_archive(pause: Path, destination: Path) -> Path:
    """Write an OCI image layout tarball of ``registry.k8s.io/pause`` holding our ``pause`` program."""

    def blob(data: bytes) -> tuple[str, bytes]:
        return "sha256:" + hashlib.sha256(data).hexdigest(), data

    layer_tar = io.BytesIO()
    with tarfile.open(fileobj=layer_tar, mode="w") as tar:
        info = tarfile.TarInfo("pause")
        info.size = pause.stat().st_size
        info.mode = 0o755
        with pause.open("rb") as source:
            tar.addfile(info, source)
    diff_id, _ = blob(layer_tar.getvalue())
    layer_digest, layer = blob(gzip.compress(layer_tar.getvalue(), mtime=0))
    config_digest, config = blob(
        json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "config": {"Entrypoint": ["/pause"], "User": "65535:65535"},
                "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            }
        ).encode()
    )
    manifest_digest, manifest = blob(
        json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": config_digest,
                    "size": len(config),
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": layer_digest,
                        "size": len(layer),
                    }
                ],
            }
        ).encode()
    )
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest,
                "size": len(manifest),
                "annotations": {
                    "io.containerd.image.name": PAUSE_IMAGE,
                    "org.opencontainers.image.ref.name": PAUSE_IMAGE.rsplit(":", 1)[1],
                },
            }
        ],
    }
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(destination, "w") as out:

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))

        add("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        add("index.json", json.dumps(index).encode())
        for digest, data in ((layer_digest, layer), (config_digest, config), (manifest_digest, manifest)):
            add(f"blobs/sha256/{digest.split(':', 1)[1]}", data)
    return destination
