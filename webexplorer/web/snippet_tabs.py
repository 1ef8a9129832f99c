"""The tabs of "the same request elsewhere": curl, kubectl and plain HTTP (the explorer's own
commands, for a try-it request) and one tab per client library (:mod:`webexplorer.tryout.clients`),
for the try-it answer and the operation page alike (``_snippets.html``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from webexplorer.tryout.clients.call import Code
from webexplorer.tryout.clients.snippet import LIBRARIES
from webexplorer.tryout.commands import Commands


@dataclass(frozen=True, slots=True)
class Tab:
    id: str
    label: str
    #: the library as a person names it ("" for a command-line tool)
    library: str
    code: str
    #: what the library cannot do, when ``code`` is ""
    note: str
    #: the id of the ``<pre>`` (or of the sentence)
    code_id: str


def tabs(
    prefix: str, codes: Sequence[Code], commands: Commands | None = None, *, tryout_ids: bool = False
) -> tuple[Tab, ...]:
    """The tabs with ids under ``prefix`` (``tryout_ids``: the commands keep the ids the try-it panel's
    always had, ``tryout-curl``, ``tryout-kubectl``, ``tryout-python``)."""
    out: list[Tab] = []
    if commands is not None:
        ids = (
            ("tryout-curl", "tryout-kubectl", "tryout-python")
            if tryout_ids
            else (
                f"{prefix}-code-curl",
                f"{prefix}-code-kubectl",
                f"{prefix}-code-http",
            )
        )
        out += [
            Tab("curl", "curl", "", commands.curl, "", ids[0]),
            Tab("kubectl", "kubectl", "", commands.kubectl, "", ids[1]),
            Tab("http", "Plain HTTP", "Python httpx", commands.python, "", ids[2]),
        ]
    labels = {lib: (label, name) for lib, label, name, _ in LIBRARIES}
    for code in codes:
        label, name = labels[code.library]
        out.append(Tab(code.library, label, name, code.code, code.note, f"{prefix}-code-{code.library}"))
    return tuple(out)
