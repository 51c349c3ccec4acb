"""The soak's 60-second version over the small build (`make soak` runs 10 minutes; tests/soak.py)."""

from __future__ import annotations

import pytest

from tests.conftest import start_server
from tests.soak import soak

pytestmark = pytest.mark.hardening


def test_a_minute_at_32_connections_without_errors_or_memory_growth(small_settings, tmp_path):
    server = start_server(tmp_path, small_settings)
    try:
        result = soak(server, seconds=60)
    finally:
        server.stop()
    print(result.report())
    assert result.requests > 0 and result.errors == 0, result.report()
    assert result.growth < 0.10, result.report()
