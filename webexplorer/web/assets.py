"""The explorer's own static files (CSS, scripts, icon), served from memory, compressed once.

Every page needs the same handful of small files, so they are read, hashed and gzipped once at
start-up, and answered with headers computed in advance: no file system call, no per-request
compression. Pages link them as ``/static/<name>?v=<content hash>`` (:func:`static_url`), so a
browser may keep them for a year (``immutable``) and a new release is fetched at once because its URL
changes; a request without the current hash still gets the file, revalidated by its ``ETag``.

Only these files are compressed, never the HTML pages: a page can carry a CSRF token next to text
the visitor chose (a search query), which is what the BREACH attack needs from a compressed answer.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
#: Compressing smaller files saves less than the header it costs.
MIN_GZIP_SIZE = 512
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, must-revalidate"
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None  # None when compression does not pay
    media_type: str
    digest: str  # first 12 hex digits of the SHA-256 of ``body``

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'


def _load(path: Path) -> Asset:
    body = path.read_bytes()
    gzipped = gzip.compress(body, compresslevel=9, mtime=0) if len(body) >= MIN_GZIP_SIZE else None
    if gzipped is not None and len(gzipped) >= len(body):
        gzipped = None
    media_type = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Asset(body, gzipped, media_type, hashlib.sha256(body).hexdigest()[:12])


def load_assets(root: Path = STATIC_DIR) -> dict[str, Asset]:
    """Every file under ``root`` by its path relative to it (``vendor/htmx-2.0.11.min.js``)."""
    return {
        path.relative_to(root).as_posix(): _load(path)
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.suffix in TYPES
    }


ASSETS: Mapping[str, Asset] = load_assets()


def static_url(name: str) -> str:
    """The URL a page links ``name`` by; unknown names are a bug in a template, so they raise."""
    return f"/static/{name}?v={ASSETS[name].digest}"


def accepts_gzip(header: str) -> bool:
    """Whether an ``Accept-Encoding`` value takes gzip (``gzip;q=0`` is a refusal, ``*`` a yes)."""
    for part in header.split(","):
        coding, _, params = part.partition(";")
        if coding.strip().lower() not in ("gzip", "*"):
            continue
        name, _, value = params.strip().partition("=")
        if name.strip().lower() != "q":
            return True
        try:
            return float(value) > 0
        except ValueError:
            return False
    return False


async def serve_asset(request: Request) -> Response:
    """``GET /static/<path>``: the file from memory, gzipped when the browser takes it."""
    asset = ASSETS.get(request.path_params["path"])
    if asset is None:  # the explorer's one 404 page (web/errors.py), as for any other unknown path
        raise HTTPException(404, "There is no such static file.")
    versioned = request.query_params.get("v") == asset.digest
    headers = {
        "ETag": asset.etag,
        "Cache-Control": IMMUTABLE if versioned else REVALIDATE,
        "Vary": "Accept-Encoding",
    }
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    body = asset.body
    if asset.gzipped is not None and accepts_gzip(request.headers.get("accept-encoding", "")):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, headers=headers, media_type=asset.media_type)
