"""Try it out: the routes that send one request to the API server and show what came back, one module
a job, assembled here into the one router ``app.py`` includes.

* :mod:`.tryout_page` — ``GET /try/{group}/{version}/{operation}``: the form (a whole page, or the
  panel the operation page loads into its ``#try-it`` section), refilled from a shareable link.
* :mod:`.tryout_send` — ``POST`` to the same URL sends; ``GET /try/answer/{key}`` downloads the whole
  body; the panel's content is a :class:`.tryout_result.TryResult`.
* :mod:`.tryout_views` — ``POST /try/view/{yaml|explain}``: the views left for later, rendered from
  the answer sealed into the panel, never by sending the request again.
* :mod:`.tryout_suggest` — ``GET /try/suggest/...``: namespaces and names for the form's inputs.
* :mod:`.tryout_watch` — ``GET /try/watch/{ticket}`` streams a watch; ``POST /try/watch-stop/...``.

Every POST reads and checks its form the same way (:mod:`.forms`: same origin, a byte cap before the
body is read, the CSRF token), and every refusal is answered before the connection is touched.
"""

from __future__ import annotations

from fastapi import APIRouter

from webexplorer.web import tryout_page, tryout_send, tryout_suggest, tryout_views, tryout_watch

#: the routes of every part, as their own ``APIRoute`` objects (not included routers, which FastAPI keeps
#: as lazy wrappers): whoever reads ``router.routes`` (route marks, the URL tests) sees each route
router = APIRouter()
for part in (tryout_page, tryout_send, tryout_views, tryout_suggest, tryout_watch):
    router.routes.extend(part.router.routes)
