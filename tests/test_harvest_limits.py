"""The hub's fetcher against misbehaving members on 127.0.0.1: slow, redirecting, oversized, bombs."""

from __future__ import annotations

import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from publisher.hub.config import Member
from publisher.hub.fetch import Fetcher, HarvestError, read_dump

BODY = b"<http://x/s> <http://x/p> <http://x/o> .\n"


class Misbehaving(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):
        Misbehaving.requests.append(self.path)
        if self.path == "/slow":
            time.sleep(3)
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data")
            self.end_headers()
            return
        body = BODY * (100_000 if self.path == "/big" else 1)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def member():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Misbehaving)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    yield Member("m", "m", base, base + "catalog.ttl", base + "sparql", ("imd-lsoa",))
    server.shutdown()


def test_a_slow_member_is_cut_at_the_timeout(member):
    started = time.monotonic()
    with pytest.raises(HarvestError, match="timed out"):
        Fetcher(timeout_s=0.5, max_bytes=10_000).get(member, member.base_uri + "slow", "text/turtle")
    assert time.monotonic() - started < 2.5


def test_redirects_are_not_followed(member):
    with pytest.raises(HarvestError, match="HTTP 302"):
        Fetcher(5, 10_000).get(member, member.base_uri + "redirect", "text/turtle")


def test_urls_outside_the_member_are_never_requested(member):
    before = len(Misbehaving.requests)
    with pytest.raises(HarvestError, match="not under m's base URI"):
        Fetcher(5, 10_000).get(member, "http://127.0.0.1:1/catalog.ttl", "text/turtle")
    assert len(Misbehaving.requests) == before


def test_an_oversized_answer_is_refused(member):
    assert Fetcher(5, 10_000).get(member, member.base_uri + "small", "text/turtle") == BODY
    with pytest.raises(HarvestError, match="larger than the hub's limit"):
        Fetcher(5, 10_000).get(member, member.base_uri + "big", "text/turtle")


def test_a_gzip_bomb_stops_at_the_limit():
    bomb = gzip.compress(b"\0" * 50_000_000)  # 50 MB of zeros in about 50 KB
    assert len(bomb) < 100_000
    with pytest.raises(HarvestError, match="expands beyond"):
        read_dump(bomb, 1_000_000)
    with pytest.raises(HarvestError, match="not a gzip file"):
        read_dump(b"not gzip at all", 1_000_000)
    assert read_dump(gzip.compress(BODY), 1_000_000) == BODY
