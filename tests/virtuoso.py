"""A throwaway Virtuoso (Debian's virtuoso-opensource-7-bin) on 127.0.0.1, for the external-store tests.

Started from tests/virtuoso.ini in a temporary folder, as ../shared/research/engines.md §5 describes;
the `dba` password stays `dba`, acceptable only because nothing listens beyond loopback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.processes import wait_or_kill

INI = Path(__file__).with_name("virtuoso.ini")
REQUIRE_ENV = "LOCALINDEX_REQUIRE_VIRTUOSO"  # set by .ci/run: a missing Virtuoso fails instead of skipping


class Virtuoso:
    def __init__(self, directory: Path, http_port: int, sql_port: int, query_seconds: int):
        directory.mkdir(parents=True, exist_ok=True)
        ini = INI.read_text().format(sql_port=sql_port, http_port=http_port, query_seconds=query_seconds)
        (directory / "virtuoso.ini").write_text(ini)
        self.directory = directory
        self.sql = f"127.0.0.1:{sql_port}"
        self.url = f"http://127.0.0.1:{http_port}/"
        self.log = (directory / "server.out").open("w")
        self.process = subprocess.Popen(
            ["virtuoso-t", "+configfile", "virtuoso.ini", "+foreground"],
            cwd=directory,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait()

    def _wait(self) -> None:
        for _ in range(600):
            if self.process.poll() is not None:
                raise RuntimeError(f"Virtuoso exited: {(self.directory / 'server.out').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "sparql?query=ASK%7B%7D", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("Virtuoso did not answer within 60 s")

    def settings(self) -> dict:
        """The localindex settings that point at this server."""
        return {
            "store": "sparql",
            "sparql_query_endpoint": self.url + "sparql",
            "sparql_graph_store_endpoint": self.url + "sparql-graph-crud-auth",
            "sparql_user": "dba",
            "sparql_password": "dba",
        }

    def stop(self) -> None:
        if self.process.poll() is None:
            subprocess.run(
                ["isql-vt", self.sql, "dba", "dba", "exec=shutdown;"], capture_output=True, timeout=30
            )
            wait_or_kill(self.process)
        self.log.close()


def require_virtuoso() -> None:
    """Skip (or, in CI, fail) when Debian's Virtuoso is not installed."""
    if shutil.which("virtuoso-t") and shutil.which("isql-vt"):
        return
    message = "Virtuoso is not installed: run `sudo .ci/install-system-packages` (virtuoso-opensource-7-bin)"
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(message)
    pytest.skip(message)
