"""Schema descriptions as safe, readable HTML: paragraphs, lists, inline code and http(s) links.

Kubernetes and CRD descriptions are written in a little Markdown (Go doc comments, kubebuilder's
markers): blank lines between paragraphs, ``-``/``*`` list items, backquoted code, bare URLs. Every
description comes from the cluster and is untrusted, so the text is escaped first and only these few
shapes are turned into tags afterwards; raw HTML in a description stays visible text, and only
``http://``/``https://`` URLs become links (never ``javascript:`` or anything else).
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_CODE = re.compile(r"`([^`\n]+)`")
_URL = re.compile(r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:)\]]")
_ITEM = re.compile(r"^\s*(?:[-*]|\d+\.)\s+")


def _inline(text: str) -> str:
    """Escaped text with `code` spans and http(s) links (URLs inside code stay code)."""
    out: list[str] = []
    last = 0
    for m in _CODE.finditer(text):
        out.append(_links(text[last : m.start()]))
        out.append(f"<code>{escape(m.group(1))}</code>")
        last = m.end()
    out.append(_links(text[last:]))
    return "".join(out)


def _links(text: str) -> str:
    out: list[str] = []
    last = 0
    for m in _URL.finditer(text):
        out.append(str(escape(text[last : m.start()])))
        url = escape(m.group(0))
        out.append(f'<a href="{url}" rel="nofollow noopener noreferrer">{url}</a>')
        last = m.end()
    out.append(str(escape(text[last:])))
    return "".join(out)


def _paragraph(lines: list[str]) -> str:
    """One paragraph's lines: plain runs become ``<p>``, runs of list items one ``<ul>``."""
    out: list[str] = []
    run: list[str] = []  # plain lines, or list items
    in_list = False
    for line in [*lines, ""]:
        item = _ITEM.match(line) is not None
        wrapped = in_list and line.startswith((" ", "\t")) and bool(line.strip())
        if wrapped:
            run[-1] += " " + line.strip()  # a list item that goes on over lines
            continue
        if run and (item != in_list or not line):
            if in_list:
                out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in run) + "</ul>")
            else:
                out.append(f"<p>{_inline(' '.join(x.strip() for x in run))}</p>")
            run = []
        in_list = item
        if line:
            run.append(_ITEM.sub("", line, count=1).strip() if item else line)
    return "".join(out)


def prose(text: str) -> Markup:
    """A description as HTML: ``<p>`` per paragraph, ``<ul>`` for runs of list items."""
    blocks = [_paragraph(p.splitlines()) for p in re.split(r"\n\s*\n", text.strip())]
    # every piece was escaped before any tag was added
    return Markup("".join(blocks))  # noqa: S704
