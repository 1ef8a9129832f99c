"""Fixtures for the whole suite: the real control plane (tests/fixtures/cluster.py) and a real explorer
process with a real Chromium (tests/fixtures/server.py)."""

from tests.fixtures.cluster import *  # noqa: F403
from tests.fixtures.node import *  # noqa: F403
from tests.fixtures.server import *  # noqa: F403


def pytest_collection_modifyitems(items: list) -> None:
    """Run the Chromium tests last. pytest-playwright's session-scoped sync Playwright keeps an event
    loop running in the main thread from the first browser test to the end of the session, and every
    pytest-asyncio test after that fails with "Runner.run() cannot be called from a running event loop"."""
    items.sort(key=lambda item: bool({"page", "browser"} & set(getattr(item, "fixturenames", ()))))
