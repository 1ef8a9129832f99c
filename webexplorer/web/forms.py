"""Posted forms: read under a byte cap and checked (same origin, CSRF token) the same way by every POST.

Each POST route states its rule once, as a :class:`FormCheck`, and takes the checked form as a FastAPI
dependency. The order is the same everywhere, and each step refuses before the next one runs:

1. **Same origin** (:func:`.csrf.same_origin_problem`): nothing of a cross-site request is read.
2. **The body**, urlencoded, read with its cap applied *before* it is buffered: a declared
   ``Content-Length`` over the cap is refused unread, and a streamed body is refused as soon as it
   passes the cap. A form with more fields than the route expects is refused too (``parse_qsl`` would
   raise).
3. **The CSRF token** (:func:`.csrf.csrf_problem`), from the form's ``csrf`` field or, for htmx posts
   without a form, the ``X-CSRF-Token`` header the panel sets.

A refusal keeps the sentence and status of the step that refused. Routes that answer a refusal with
their own page (a try-it send shows it in the answer panel; sign-in shows it on its form) take
:meth:`FormCheck.check`, which returns it; every other route takes the check itself, which raises it
as the explorer's error page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl

from fastapi import HTTPException
from starlette.requests import Request

from webexplorer.tryout.plan import Refusal
from webexplorer.web.csrf import csrf_problem, same_origin_problem

#: a form's own fields besides a request body: generous, but a bound on what is read before refusing
FORM_OVERHEAD = 256 * 1024
#: the header htmx posts carry the token in (``hx-headers`` of the try-it panel)
CSRF_HEADER = "x-csrf-token"

Fields = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class PostedForm:
    """The fields of a posted form, in the order they came (a name may repeat)."""

    fields: Fields = ()

    def as_dict(self) -> dict[str, str]:
        """One value a name: the last one, as a browser's repeated field (a hidden default, then a
        checkbox) means it."""
        return dict(self.fields)

    def value(self, name: str) -> str:
        return self.as_dict().get(name, "")


@dataclass(frozen=True, slots=True)
class FormCheck:
    """How one POST route reads and checks its form; called, it is that route's FastAPI dependency."""

    #: bytes read at most; 0: the body is not read (the token comes in the header)
    limit: int
    #: the sentence of the 413 when the body is over ``limit``
    too_big: str = ""
    max_fields: int = 1000
    #: where the CSRF token is; None: no token is asked for (a read that changes nothing)
    csrf: Literal["field", "header"] | None = "field"

    async def check(self, request: Request) -> PostedForm | Refusal:
        """The checked form, or the refusal of the first step that refused."""
        problem = same_origin_problem(request)
        if problem is not None:
            return Refusal(problem, 403)
        form = await read_form(request, self.limit, self.too_big, self.max_fields)
        if isinstance(form, Refusal):
            return form
        if self.csrf is not None:
            token = form.value("csrf") if self.csrf == "field" else request.headers.get(CSRF_HEADER, "")
            problem = csrf_problem(request, token)
            if problem is not None:
                return Refusal(problem, 403)
        return form

    async def __call__(self, request: Request) -> PostedForm:
        """The checked form; a refusal is raised as the explorer's error page, with its status."""
        checked = await self.check(request)
        if isinstance(checked, Refusal):
            raise HTTPException(checked.status, checked.reason)
        return checked


async def read_form(request: Request, limit: int, too_big: str, max_fields: int) -> PostedForm | Refusal:
    """The urlencoded form of ``request``, read with a size cap so an oversized body is refused, not
    buffered; an empty form when ``limit`` is 0 (the body is left unread)."""
    if limit == 0:
        return PostedForm()
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return Refusal(too_big, 413)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return Refusal(too_big, 413)
        chunks.append(chunk)
    text = b"".join(chunks).decode("utf-8", "replace")
    try:
        fields = parse_qsl(text, keep_blank_values=True, max_num_fields=max_fields)
    except ValueError:  # more fields than max_fields
        return Refusal(f"The form has more than {max_fields} fields; this one takes fewer.", 400)
    return PostedForm(tuple(fields))
