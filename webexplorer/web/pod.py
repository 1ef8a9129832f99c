"""The "This pod" page: what the Downward API tells the explorer about the pod it runs in.

Thin on purpose: :mod:`webexplorer.podinfo` does the reading (env vars plus the ``downwardAPI`` volume,
cached by the kubelet's ``..data`` symlink target, so a ``kubectl label pod`` shows up on the next
request without a restart); this module renders it. The page is read on every request because the
answer is one ``readlink`` when nothing changed.
"""

from __future__ import annotations

import os

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from webexplorer.web.state import State
from webexplorer.web.templating import render

router = APIRouter()

#: annotation values longer than this many lines start folded
FOLD_LINES = 12


@router.get("/pod", response_class=HTMLResponse)
async def this_pod(request: Request, state: State) -> HTMLResponse:
    info = state.pod.read(os.environ)
    return render(request, "pod.html", {"info": info, "fold_lines": FOLD_LINES})
