"""Fixtures for the whole suite: the real control plane (tests/fixtures/cluster.py) and a real explorer
process with a real Chromium (tests/fixtures/server.py)."""

from tests.fixtures.cluster import *  # noqa: F403
from tests.fixtures.server import *  # noqa: F403
