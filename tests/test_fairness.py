"""Fair shares of the query workers (api/pool.py): long queries have a budget shared by all clients,
a client that sent one waits for that budget next time, and behind a proxy the client is the address
the proxy reports, not the proxy."""

from __future__ import annotations

import threading
import time

import pytest

from api import create_app
from api.pool import QueryRejected
from tests.conftest import ask, start_server

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SMALL = "ASK { ?s ?p ?o }"
FIRST, SECOND, THIRD = "127.0.0.2", "127.0.0.3", "127.0.0.1"


@pytest.fixture(scope="module")
def server(small_settings, tmp_path_factory):
    """Two workers, so one long slot; quick queries are those done within half a second."""
    running = start_server(
        tmp_path_factory.mktemp("fairness"),
        small_settings,
        query_workers=2,
        query_quick_s=0.5,
        query_timeout_s=4,
    )
    yield running
    running.stop()


def test_the_long_slot_is_shared_and_the_other_worker_stays_quick(server):
    finished: list[tuple[str, int, str]] = []

    def client(name: str, query: str, source: str):
        status, body = ask(server, query, source)
        finished.append((name, status, body))

    assert ask(server, SMALL, THIRD) == (200, "true")  # the pool has started
    first = threading.Thread(target=client, args=("first runaway", RUNAWAY, FIRST))
    first.start()
    time.sleep(2)  # let it turn long and take the one long slot (ordering, not a timing assertion)
    client("second runaway", RUNAWAY, SECOND)
    # The second client has now sent a long query: its small one waits for the long slot ...
    waiting = threading.Thread(target=client, args=("second client's small query", SMALL, SECOND))
    waiting.start()
    time.sleep(0.3)
    # ... while the third client is answered at once by the worker kept for quick queries.
    client("third client's small query", SMALL, THIRD)
    still_waiting = waiting.is_alive()
    first.join()
    waiting.join()

    outcome = {name: (status, body) for name, status, body in finished}
    status, body = outcome["second runaway"]  # stopped when it turned long: the one slot was taken
    assert status == 503 and "while 1 long query was already running" in body, body
    assert outcome["third client's small query"] == (200, "true"), outcome
    # The second client's small query ran only once the first runaway had been stopped at the
    # wall-clock limit and its slot was free.
    assert still_waiting
    assert outcome["first runaway"][0] == 503 and "4 s limit" in outcome["first runaway"][1]
    assert outcome["second client's small query"] == (200, "true"), outcome


class _RecordingPool:
    def __init__(self):
        self.clients: list[str] = []

    def run(self, job, client: str = ""):
        self.clients.append(client)
        raise QueryRejected(503, "recorded")


@pytest.mark.parametrize(("trusted_proxies", "client"), [(0, "10.0.0.1"), (1, "203.0.113.9")])
def test_behind_a_trusted_proxy_the_client_is_the_forwarded_address(small_settings, trusted_proxies, client):
    """With trusted_proxies = 1 the last X-Forwarded-For address is the client; with 0 (clients reach
    the server directly) the header is ignored, so nobody can claim another's address."""
    app = create_app(small_settings.with_overrides(trusted_proxies=trusted_proxies))
    pool = _RecordingPool()
    app.extensions["localindex_pool"] = lambda: pool
    response = app.test_client().get(
        "/sparql",
        query_string={"query": SMALL},
        headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.9"},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    assert response.status_code == 503 and pool.clients == [client]
