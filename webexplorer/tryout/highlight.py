"""Syntax highlighting on the server, behind one function so the library can be swapped.

Pygments was chosen because it is pure Python (nothing to build), already a dependency of the test
tools, escapes every character of its input, and can emit class names instead of inline styles — the
Content-Security-Policy (``style-src 'self'``) forbids ``style=`` attributes, so the colours live in
``static/app.css`` under ``.hl``. Text is cut *before* highlighting so a huge answer costs no more than
the part shown.
"""

from __future__ import annotations

from typing import Literal

from markupsafe import Markup
from pygments import highlight as _highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import JsonLexer, TextLexer, YamlLexer

Language = Literal["json", "yaml", "text"]


_LEXERS: dict[str, Lexer] = {"json": JsonLexer(), "yaml": YamlLexer(), "text": TextLexer()}


_FORMATTER = HtmlFormatter(nowrap=True)


def highlight(text: str, language: Language) -> Markup:
    """``text`` as escaped HTML with ``<span class=…>`` tokens (no wrapper element)."""
    return Markup(_highlight(text, _LEXERS[language], _FORMATTER))  # noqa: S704 - Pygments escapes


def stylesheet() -> str:
    """The CSS for the token classes, scoped to ``.hl`` (used to write static/app.css)."""
    light: str = HtmlFormatter(style="default").get_style_defs(".hl")  # type: ignore[no-untyped-call]
    dark: str = HtmlFormatter(style="github-dark").get_style_defs(  # type: ignore[no-untyped-call]
        ':root[data-theme="dark"] .hl'
    )
    return f"{light}\n{dark}"
