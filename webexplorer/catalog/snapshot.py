"""Offline snapshots: record every document the catalog reads into one file, and serve it back.

Format: one xz-compressed (:mod:`lzma`, standard library) JSON-lines file, ``*.wxsnap.xz``-style, here
``snapshot-v1.37.2.jsonl.xz``. Line 1 is a header (format, recorded time, server version, source
label); every other line is one recorded answer: ``{"path", "accept", "status", "headers", "body"}``
with the body as text (``body_b64`` when it is not UTF-8). Why this shape:

* xz compresses the whole stream as one ("solid"), so the 23+ OpenAPI v3 documents, which each repeat
  ObjectMeta, ListMeta, Status and friends, compress against each other: ~9 MB becomes well under 1 MB.
  A zip compresses each member alone and comes out several times larger. No dependency is needed.
* JSON lines keep the header readable after decompressing a few bytes, so the source's label is known
  without loading the file; the rest is read on the first request, in a worker thread.
* Answers are stored verbatim (status, ETag, content type, body), keyed by path and by the form asked
  for (``aggregated`` discovery, ``metadata``-only lists, or plain ``json``), so :class:`SnapshotSource`
  answers exactly what the server answered and a catalog built from it equals one built live.
"""

from __future__ import annotations

import asyncio
import base64
import lzma
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from ..source import DocumentSource, Fetched, SourceError
from .discovery import (
    AGGREGATED_ACCEPT,
    CRD_LIST_PATH,
    METADATA_LIST_ACCEPT,
    parse_api_versions,
    parse_group_list,
)
from .errors import CatalogError
from .jsonutil import get_dict, get_str, parse_json
from .openapi_v3 import parse_index

FORMAT = "webexplorer-snapshot"
FORMAT_VERSION = 1
EMBEDDED_NAME = "snapshot-v1.37.2.jsonl.xz"
_KEEP_HEADERS = ("etag", "content-type")
#: the ``accept`` of a recorded list probe: only its status and ``Warning`` header are kept
PROBE = "probe"

Log = Callable[[str], None]


def embedded_snapshot_path() -> Path:
    """The snapshot shipped inside the package (recorded from a real v1.37.2 control plane)."""
    return Path(__file__).resolve().parent.parent / "data" / EMBEDDED_NAME


def embedded_snapshots() -> list[Path]:
    """Every release snapshot shipped in the package, oldest release first (``snapshot-v1.31.14…``)."""
    found = (embedded_snapshot_path().parent).glob("snapshot-v*.jsonl.xz")
    return sorted(found, key=lambda p: release_key(p.name.removeprefix("snapshot-").split(".jsonl")[0]))


def release_key(version: str) -> tuple[int, ...]:
    """``v1.31.14`` → ``(1, 31, 14)``, for ordering releases (anything unparsable sorts first)."""
    parts = version.lstrip("v").split("-", 1)[0].split(".")
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        return (0,)


def accept_kind(accept: str) -> str:
    """The form an Accept header asks for: ``aggregated`` discovery, ``metadata`` lists, or ``json``."""
    if "apidiscovery.k8s.io" in accept:
        return "aggregated"
    if "PartialObjectMetadata" in accept:
        return "metadata"
    return "json"


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """What a snapshot file holds; returned by :func:`record_snapshot` and :func:`read_snapshot_info`."""

    path: Path
    server_version: str
    recorded_at: datetime
    source_label: str
    entries: int = 0
    raw_bytes: int = 0
    compressed_bytes: int = 0
    seconds: float = 0.0

    @property
    def label(self) -> str:
        return f"snapshot: {self.server_version or 'unknown version'} (recorded {self.recorded_at:%Y-%m-%d})"


# ---------------------------------------------------------------------------------------------- recording


async def record_snapshot(
    source: DocumentSource, out: Path, log: Log = print, *, concurrency: int = 4
) -> SnapshotInfo:
    """Record everything a catalog reads from ``source`` into ``out`` (written atomically).

    ``/version``; ``/api`` and ``/apis`` in both the aggregated and the plain form; ``/api/<v>``, every
    ``/apis/<g>`` and ``/apis/<g>/<v>``; the metadata-only CRD list; the ``/openapi/v3`` index and every
    document it names; ``/openapi/v2``. Raises :class:`CatalogError` when discovery cannot be read."""
    started = time.perf_counter()
    sem = asyncio.Semaphore(max(1, concurrency))
    entries: list[dict[str, Any]] = []

    async def grab(path: str, accept: str = "application/json") -> Fetched:
        async with sem:
            got = await source.fetch(path, accept=accept)
        entries.append(_entry(path, accept, got))
        return got

    log(f"recording a snapshot of {source.label}")
    version_doc = await grab("/version")
    api_agg, apis_agg, api, apis = await asyncio.gather(
        grab("/api", AGGREGATED_ACCEPT), grab("/apis", AGGREGATED_ACCEPT), grab("/api"), grab("/apis")
    )
    del api_agg, apis_agg
    if api.status != 200 or apis.status != 200:
        raise CatalogError(f"discovery could not be read (/api {api.status}, /apis {apis.status})")
    paths = [f"/api/{v}" for v in parse_api_versions(parse_json(api.body, "/api"))]
    for name, versions, _ in parse_group_list(parse_json(apis.body, "/apis")):
        paths.append(f"/apis/{name}")
        paths.extend(f"/apis/{name}/{v}" for v in versions)
    log(f"discovery: {len(paths)} group and group-version documents")
    await asyncio.gather(*(grab(p) for p in paths), grab(CRD_LIST_PATH, METADATA_LIST_ACCEPT))
    warned = await _probe_list_warnings(source, _listable(entries), sem)
    entries.extend(warned)
    log(f"list probes: {len(warned)} resources answer with a deprecation Warning")
    index = await grab("/openapi/v3")
    if index.status == 200:
        urls = [e.url for e in parse_index(parse_json(index.body, "/openapi/v3"))]
        log(f"OpenAPI v3: {len(urls)} documents")
        await asyncio.gather(*(grab(u) for u in urls))
    v2 = await grab("/openapi/v2")
    log(f"OpenAPI v2: {len(v2.body) / 1e6:.1f} MB")

    server_version = ""
    if version_doc.status == 200:
        server_version = get_str(parse_json(version_doc.body, "/version"), "gitVersion")
    recorded_at = datetime.now(UTC).replace(microsecond=0)
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "recorded_at": recorded_at.isoformat(),
        "server_version": server_version,
        "source_label": source.label,
    }
    entries.sort(key=lambda e: (e["path"], e["accept"]))
    lines = [orjson.dumps(header), *(orjson.dumps(e) for e in entries)]
    raw = b"\n".join(lines) + b"\n"
    compressed = await asyncio.to_thread(lzma.compress, raw, preset=9 | lzma.PRESET_EXTREME)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(compressed)
    os.replace(tmp, out)
    info = SnapshotInfo(
        path=out,
        server_version=server_version,
        recorded_at=recorded_at,
        source_label=source.label,
        entries=len(entries),
        raw_bytes=len(raw),
        compressed_bytes=len(compressed),
        seconds=time.perf_counter() - started,
    )
    log(
        f"wrote {out}: {info.entries} answers, {info.raw_bytes / 1e6:.1f} MB raw, "
        f"{info.compressed_bytes / 1e6:.2f} MB compressed, in {info.seconds:.1f}s"
    )
    return info


def _listable(entries: list[dict[str, Any]]) -> list[str]:
    """The list paths (``/apis/<g>/<v>/<plural>``) of every resource the recorded group-version
    documents name with the ``list`` verb (subresources excluded)."""
    out: list[str] = []
    for e in entries:
        path = e["path"]
        if (
            e["accept"] != "json"
            or e["status"] != 200
            or path.count("/") != (2 if path.startswith("/api/") else 3)
        ):
            continue
        try:
            doc = orjson.loads(e.get("body", ""))
        except orjson.JSONDecodeError:
            continue
        if not isinstance(doc, dict) or doc.get("kind") != "APIResourceList":
            continue
        for r in doc.get("resources") or []:
            if (
                isinstance(r, dict)
                and "/" not in str(r.get("name", "/"))
                and "list" in (r.get("verbs") or [])
            ):
                out.append(f"{path}/{r['name']}")
    return out


async def list_warnings(
    source: DocumentSource, paths: list[str], sem: asyncio.Semaphore
) -> dict[str, tuple[int, str]]:
    """List each resource once (``limit=1``, metadata only) and keep the status and the API server's
    ``Warning`` header where it sends one, by list path: that is where a deprecated built-in API says so
    ("… is deprecated in v1.29+, unavailable in v1.32+; use …"), which neither discovery nor OpenAPI
    carries. The listed objects are not kept."""

    async def probe(path: str) -> tuple[str, int, str]:
        async with sem:
            try:
                got = await source.fetch(f"{path}?limit=1", accept=METADATA_LIST_ACCEPT)
            except SourceError:
                return path, 0, ""
        return path, got.status, got.headers.get("warning", "")

    found = await asyncio.gather(*(probe(p) for p in paths))
    return {path: (status, warning) for path, status, warning in found if warning}


async def _probe_list_warnings(
    source: DocumentSource, paths: list[str], sem: asyncio.Semaphore
) -> list[dict[str, Any]]:
    """:func:`list_warnings` as snapshot entries (status and ``Warning`` only, an empty body)."""
    found = await list_warnings(source, paths, sem)
    return [
        {"path": path, "accept": PROBE, "status": status, "headers": {"warning": warning}, "body": ""}
        for path, (status, warning) in sorted(found.items())
    ]


def _entry(path: str, accept: str, got: Fetched) -> dict[str, Any]:
    headers = {k: got.headers[k] for k in _KEEP_HEADERS if k in got.headers}
    entry: dict[str, Any] = {
        "path": path,
        "accept": accept_kind(accept),
        "status": got.status,
        "headers": headers,
    }
    final = _server_relative(got.url)
    if final and final != path:
        entry["url"] = final
    try:
        entry["body"] = got.body.decode("utf-8")
    except UnicodeDecodeError:
        entry["body_b64"] = base64.b64encode(got.body).decode("ascii")
    return entry


def _server_relative(url: str) -> str:
    """``https://host:6443/openapi/v3/x?hash=1`` → ``/openapi/v3/x?hash=1`` (snapshots hold no hosts)."""
    parts = urlsplit(url)
    if not parts.path:
        return ""
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


# ---------------------------------------------------------------------------------------------- serving


def read_snapshot_info(path: Path) -> SnapshotInfo:
    """The header of a snapshot file (decompresses only its first line)."""
    try:
        with lzma.open(path, "rb") as f:
            first = f.readline(1 << 20)
    except (OSError, lzma.LZMAError, EOFError) as exc:
        raise SourceError(f"the snapshot {path} cannot be read ({exc}); record a new one") from exc
    header = _header(first, path)
    return SnapshotInfo(
        path=path,
        server_version=get_str(header, "server_version"),
        recorded_at=_parse_time(get_str(header, "recorded_at")),
        source_label=get_str(header, "source_label"),
        compressed_bytes=path.stat().st_size,
    )


def _header(line: bytes, path: Path) -> dict[str, Any]:
    try:
        header = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise SourceError(f"{path} is not a webexplorer snapshot (bad header)") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise SourceError(f"{path} is not a webexplorer snapshot")
    if header.get("format_version") != FORMAT_VERSION:
        raise SourceError(
            f"{path} has snapshot format {header.get('format_version')}, this version reads {FORMAT_VERSION}"
        )
    return header


def _parse_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return datetime.fromtimestamp(0, UTC)


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str


def _load(path: Path) -> dict[tuple[str, str], _Answer]:
    try:
        with lzma.open(path, "rb") as f:
            data = f.read()
    except (OSError, lzma.LZMAError, EOFError) as exc:
        raise SourceError(f"the snapshot {path} cannot be read ({exc}); record a new one") from exc
    lines = data.split(b"\n")
    del data
    _header(lines[0], path)
    answers: dict[tuple[str, str], _Answer] = {}
    for line in lines[1:]:
        if not line:
            continue
        e = orjson.loads(line)
        if not isinstance(e, dict) or not isinstance(e.get("path"), str):
            continue
        body = base64.b64decode(e["body_b64"]) if "body_b64" in e else get_str(e, "body").encode("utf-8")
        status = e.get("status")
        answers[(e["path"], get_str(e, "accept", "json"))] = _Answer(
            status if isinstance(status, int) else 500,
            {str(k): str(v) for k, v in get_dict(e, "headers").items()},
            body,
            get_str(e, "url") or e["path"],
        )
    return answers


class SnapshotSource:
    """A read-only :class:`~webexplorer.source.DocumentSource` over a recorded snapshot file.

    Answers what the server answered: the same status, ETag and body; 304 to a matching
    If-None-Match; a v3 URL with a hash it does not hold gets the recorded document of that path (as
    the server's 301 would); anything not recorded gets 404."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.info = read_snapshot_info(self.path)
        self.label = self.info.label
        self._answers: dict[tuple[str, str], _Answer] | None = None
        self._by_bare_path: dict[str, str] = {}
        self._lock = asyncio.Lock()

    async def _ensure(self) -> dict[tuple[str, str], _Answer]:
        if self._answers is None:
            async with self._lock:
                if self._answers is None:
                    answers = await asyncio.to_thread(_load, self.path)
                    self._by_bare_path = {p.partition("?")[0]: p for p, _ in answers if "?" in p}
                    self._answers = answers
        return self._answers

    async def list_warnings(self) -> dict[str, str]:
        """The ``Warning`` header each deprecated resource's list answered with, by list path
        (``/apis/flowcontrol.apiserver.k8s.io/v1beta3/flowschemas``); empty for snapshots recorded
        before list probes existed."""
        answers = await self._ensure()
        return {path: a.headers.get("warning", "") for (path, kind), a in answers.items() if kind == PROBE}

    async def fetch(self, path: str, *, accept: str = "application/json", etag: str | None = None) -> Fetched:
        answers = await self._ensure()
        kind = accept_kind(accept)
        answer = answers.get((path, kind)) or answers.get((path, "json"))
        if answer is None and "?" in path:
            current = self._by_bare_path.get(path.partition("?")[0])
            if current is not None:
                answer = answers.get((current, "json"))
        if answer is None:
            body = orjson.dumps(
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "status": "Failure",
                    "reason": "NotFound",
                    "code": 404,
                    "message": f"{path} is not in this snapshot",
                }
            )
            return Fetched(404, body, {"content-type": "application/json"}, path)
        if etag is not None and answer.headers.get("etag") == etag:
            return Fetched(304, b"", dict(answer.headers), answer.url)
        return Fetched(answer.status, answer.body, dict(answer.headers), answer.url)
