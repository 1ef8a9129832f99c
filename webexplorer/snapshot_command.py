"""``webexplorer snapshot --out FILE``: record a live API server for offline use.

It connects exactly as the explorer would (same flags, same detection), so "what I see in the explorer"
and "what the snapshot holds" never differ; errors are one sentence, never a traceback.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from webexplorer.catalog import CatalogError, record_snapshot
from webexplorer.cluster import connect, detect
from webexplorer.settings import Settings
from webexplorer.source import SourceError


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def _record(settings: Settings, out: Path) -> int:
    detection = await detect(settings)
    connection = await connect(detection, settings)
    if connection is None:
        _say("webexplorer snapshot: no live API server was found to record. " + detection.reason)
        return 1
    async with connection:
        info = await record_snapshot(connection, out, _say)
    _say(
        f"recorded {info.entries} documents of Kubernetes {info.server_version} into {out} "
        f"({info.compressed_bytes / 1e6:.2f} MB compressed from {info.raw_bytes / 1e6:.1f} MB) "
        f"in {info.seconds:.1f} s; open it with: webexplorer --snapshot {out}"
    )
    return 0


def run_snapshot(settings: Settings, out: str) -> int:
    try:
        return asyncio.run(_record(settings, Path(out)))
    except (SourceError, CatalogError, OSError) as exc:
        _say(f"webexplorer snapshot: {exc}")
        return 1
