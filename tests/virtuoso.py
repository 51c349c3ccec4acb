"""A throwaway Virtuoso (Debian's virtuoso-opensource-7-bin) on 127.0.0.1, for the external-store tests.

The server localindex runs for ``store = "virtuoso"`` (publisher/store/virtuoso.py), here in a temporary
folder; the `dba` password stays `dba`, acceptable only because nothing listens beyond loopback.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from publisher.store.virtuoso import VirtuosoServer

REQUIRE_ENV = "LOCALINDEX_REQUIRE_VIRTUOSO"  # set by .ci/run: a missing Virtuoso fails instead of skipping


class Virtuoso(VirtuosoServer):
    """Started at once, in a temporary folder, with Virtuoso's default `dba` password; unless one that
    another test process started already answers on its ports (``process`` is then None)."""

    def __init__(self, directory: Path, http_port: int, sql_port: int, query_seconds: int):
        super().__init__(directory, http_port, sql_port, query_seconds)
        if not self.answering():
            self.start()

    def settings(self) -> dict:
        """The localindex settings that point at this server as an external store."""
        return {
            "store": "sparql",
            "sparql_query_endpoint": self.url + "sparql",
            "sparql_graph_store_endpoint": self.url + "sparql-graph-crud-auth",
            "sparql_user": "dba",
            "sparql_password": "dba",
        }


def require_virtuoso() -> None:
    """Skip (or, in CI, fail) when Debian's Virtuoso is not installed."""
    if shutil.which("virtuoso-t") and shutil.which("isql-vt"):
        return
    message = "Virtuoso is not installed: run `sudo .ci/install-system-packages` (virtuoso-opensource-7-bin)"
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(message)
    pytest.skip(message)
