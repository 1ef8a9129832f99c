"""The kubelet's way of writing a projected volume, so in-cluster token rotation can be reproduced.

Inside a pod, ``/var/run/secrets/kubernetes.io/serviceaccount`` is a projected volume that the kubelet
updates with ``AtomicWriter`` (``pkg/volume/util/atomic_writer.go``). Its layout::

    token     -> ..data/token
    ca.crt    -> ..data/ca.crt
    namespace -> ..data/namespace
    ..data    -> ..2024_05_01_12_00_00.123456789
    ..2024_05_01_12_00_00.123456789/{token,ca.crt,namespace}

A rotation writes a complete new timestamped directory, then swaps ``..data`` with one ``rename(2)`` of
a fresh symlink over the old one, so a reader sees either the old set of files or the new one, never a
mix. Code that caches the token must notice that swap; code that watches the ``token`` symlink's own
inode with inotify misses it. Tests need the real thing to catch that, hence this faithful copy.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

DATA_DIR = "..data"
_NEW_DATA_DIR = "..data_tmp"


class AtomicWriter:
    """Writes a flat payload (file name -> bytes) into ``target_dir`` like the kubelet does."""

    def __init__(self, target_dir: Path, file_mode: int = 0o644) -> None:
        self.target_dir = target_dir
        self.file_mode = file_mode

    def _current_ts_dir(self) -> Path | None:
        data = self.target_dir / DATA_DIR
        if not data.is_symlink():
            return None
        return self.target_dir / os.readlink(data)

    def read(self) -> dict[str, bytes]:
        """The payload currently visible through ``..data``."""
        current = self._current_ts_dir()
        if current is None:
            return {}
        return {entry.name: entry.read_bytes() for entry in current.iterdir() if entry.is_file()}

    def write(self, payload: Mapping[str, bytes]) -> bool:
        """Publish ``payload``; return ``False`` when it equals what is there (the kubelet skips it too).

        Steps, in the kubelet's order: new timestamped dir with every file, symlink ``..data_tmp`` to it,
        rename that over ``..data`` (the atomic switch), create missing user-visible symlinks, remove
        user-visible names no longer in the payload, delete the old timestamped dir.
        """
        for name in payload:
            if not name or "/" in name or name.startswith(".."):
                raise ValueError(f"invalid payload file name {name!r}")
        self.target_dir.mkdir(parents=True, exist_ok=True)
        old_ts_dir = self._current_ts_dir()
        old = self.read()
        removed = set(old) - set(payload)
        if old == dict(payload) and not removed:
            return False

        stamp = dt.datetime.now(dt.UTC).strftime("..%Y_%m_%d_%H_%M_%S.")
        ts_dir = Path(tempfile.mkdtemp(prefix=stamp, dir=self.target_dir))
        ts_dir.chmod(0o755)
        for name, content in payload.items():
            path = ts_dir / name
            path.write_bytes(content)
            path.chmod(self.file_mode)

        new_data = self.target_dir / _NEW_DATA_DIR
        new_data.unlink(missing_ok=True)
        new_data.symlink_to(ts_dir.name)
        os.replace(new_data, self.target_dir / DATA_DIR)

        for name in payload:
            visible = self.target_dir / name
            if not visible.is_symlink():
                visible.symlink_to(f"{DATA_DIR}/{name}")
        for name in removed:
            (self.target_dir / name).unlink(missing_ok=True)
        if old_ts_dir is not None and old_ts_dir != ts_dir:
            shutil.rmtree(old_ts_dir, ignore_errors=True)
        return True
