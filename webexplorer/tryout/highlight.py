"""Syntax highlighting on the server, behind one function so the library can be swapped.

Pygments was chosen because it is pure Python (nothing to build), already a dependency of the test
tools, escapes every character of its input, and can emit class names instead of inline styles — the
Content-Security-Policy (``style-src 'self'``) forbids ``style=`` attributes, so the colours live in
``static/app.css`` under ``.hl``. Text is cut *before* highlighting so a huge answer costs no more than
the part shown.

JSON is the view every try-it answer shows first, and Pygments' lexer and HTML formatter were the
largest part of the time a read spent in the explorer, so JSON has its own tokenizer: one regular
expression over the pretty-printed text (:func:`~.bodies.dump_json`), written to give exactly the
markup Pygments gives for that text (same classes, same merged punctuation, same escaping), which a
test checks against Pygments itself. Plain text is only escaped. YAML, rendered on demand, keeps
Pygments.
"""

from __future__ import annotations

import re
from typing import Literal

from markupsafe import Markup
from pygments import highlight as _highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import YamlLexer

Language = Literal["json", "yaml", "text"]


_YAML: Lexer = YamlLexer()
_FORMATTER = HtmlFormatter(nowrap=True)

#: Pygments' own HTML escaping (``pygments.formatters.html.escape_html``), so the markup is identical
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})

#: one token of JSON, for lines :data:`_JSON_LINE` does not know. Every character is matched by some
#: branch except the newline: the last branch takes anything unexpected (text cut oddly, not JSON at all)
#: and escapes it, so no input can reach the page unescaped.
_JSON_TOKEN = re.compile(
    r"""(?P<string>"(?:[^"\\\n]|\\.)*")(?P<colon>:)?"""
    r"""|(?P<number>-?[0-9]+(?P<fraction>(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?))"""
    r"""|(?P<keyword>true|false|null)"""
    r"""|(?P<punct>[\[\]{}:,]+)"""
    r"""|(?P<space>[ \t\r]+)"""
    r"""|(?P<other>[^\n])"""
)
_STRING = r'"(?:[^"\\\n]|\\.)*"'
#: one whole line of :func:`~.bodies.dump_json` output: indent, an optional key, one value or bracket,
#: an optional comma — one match (and one Python call) per line instead of one per token. Any other line
#: is the ``other`` branch, tokenized by :data:`_JSON_TOKEN`.
_JSON_LINE = re.compile(
    rf"^(?P<indent> *)(?:(?P<key>{_STRING}): )?"
    rf"(?:(?P<string>{_STRING})|(?P<int>-?[0-9]+)|(?P<float>-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<keyword>true|false|null)|(?P<punct>[\[\]{}]+,?))(?P<comma>,?)$"
    r"|(?P<other>.+)$",
    re.MULTILINE,
)


_KEY_END = '<span class="p">:</span><span class="w"> </span>'


def _json_token(match: re.Match[str]) -> str:
    kind = match.lastgroup
    if kind == "colon":  # a key: the string before its colon
        key = match.group("string").translate(_ESCAPES)
        return f'<span class="nt">{key}</span><span class="p">:</span>'
    text = match.group(0)
    if kind == "string":
        return f'<span class="s2">{text.translate(_ESCAPES)}</span>'
    if kind in ("number", "fraction"):
        return f'<span class="{"mf" if match.group("fraction") else "mi"}">{text}</span>'
    if kind == "keyword":
        return f'<span class="kc">{text}</span>'
    if kind == "punct":
        return f'<span class="p">{text}</span>'
    if kind == "space":
        return f'<span class="w">{text}</span>'
    return text.translate(_ESCAPES)


def _json_line(match: re.Match[str]) -> str:
    indent, key, string, integer, number, keyword, punct, comma, other = match.group(
        "indent", "key", "string", "int", "float", "keyword", "punct", "comma", "other"
    )
    if other is not None:
        return _JSON_TOKEN.sub(_json_token, other)
    out = f'<span class="w">{indent}</span>' if indent else ""
    if key is not None:
        out += f'<span class="nt">{key.translate(_ESCAPES)}</span>{_KEY_END}'
    if string is not None:
        out += f'<span class="s2">{string.translate(_ESCAPES)}</span>'
    elif integer is not None:
        out += f'<span class="mi">{integer}</span>'
    elif number is not None:
        out += f'<span class="mf">{number}</span>'
    elif keyword is not None:
        out += f'<span class="kc">{keyword}</span>'
    else:  # Pygments merges neighbouring punctuation: "[]," is one token
        return f'{out}<span class="p">{punct}{comma}</span>'
    return f'{out}<span class="p">,</span>' if comma else out


def highlight_json(text: str) -> str:
    """Pretty-printed JSON as Pygments would mark it up (``JsonLexer`` + ``HtmlFormatter(nowrap=True)``)."""
    if not text.endswith("\n"):
        text += "\n"  # as Pygments' lexers do
    return _JSON_LINE.sub(_json_line, text)


def highlight(text: str, language: Language) -> Markup:
    """``text`` as escaped HTML with ``<span class=…>`` tokens (no wrapper element)."""
    if language == "json":
        return Markup(highlight_json(text))  # noqa: S704 - every character is escaped or a known token
    if language == "text":
        return Markup((text if text.endswith("\n") else text + "\n").translate(_ESCAPES))  # noqa: S704
    return Markup(_highlight(text, _YAML, _FORMATTER))  # noqa: S704 - Pygments escapes
