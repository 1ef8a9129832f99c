"""How the project starts Debian's Chromium, for the browser tests and the browser benchmark alike.

Playwright's own browser download cannot reach its host here, so ``executable_path`` points at Debian's
package; the flags keep Chromium from reaching for Google's services, which this closed network refuses
(many connections at a time, at every start).
"""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
