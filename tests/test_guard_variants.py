"""The SPARQL guard (api/guard.py) and the engine must read a query alike: for every way of ending a
comment or line, written plainly or as a \\u escape, a SERVICE clause is either refused by the guard
or never reached by pyoxigraph running the text the guard returns. A listener on 127.0.0.1 stands
in for the remote server and counts the connections the engine makes."""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.guard import RefusedQuery, check_query

TERMINATORS = ("\r", "\r\n", "\n", "\n\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\x00")
ESCAPED = ("\\u000d", "\\u000a", "\\u000D", "\\u000A", "\\U0000000d", "\\U0000000A")
SHAPES = (
    "SELECT * WHERE {{ ?s ?p ?o # note{end} SERVICE <{target}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ ?s ?p ?o #{end}SERVICE <{target}> {{ ?a ?b ?c }} }}",
    "# heading{end}SELECT * WHERE {{ SERVICE <{target}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ OPTIONAL {{ ?s ?p ?o }} # x{end} SERVICE SILENT <{target}> {{ ?a ?b ?c }} }}",
    'SELECT * WHERE {{ BIND("#" AS ?h) # {end} SERVICE <{target}> {{ ?a ?b ?c }} }}',
    "PREFIX x: <urn:x#{end}> SELECT * WHERE {{ SERVICE <{target}> {{ ?a ?b ?c }} }}",
    # the rest of the line after the hidden clause, so that both readings are valid SPARQL
    "SELECT * WHERE {{ ?s ?p ?o # x{end} SERVICE <{target}> {{ ?a ?b ?c }}\n}}",
    "SELECT * WHERE {{\n# x{end}SERVICE <{target}> {{ ?a ?b ?c }}\n?s ?p ?o }}",
    "SELECT * WHERE {{ ?s ?p ?o # x{end} OPTIONAL {{ SERVICE SILENT <{target}> {{ ?a ?b ?c }} }}\n}}",
)


@pytest.fixture(scope="module")
def remote():
    """A loopback listener standing in for a remote SPARQL service: (its URL, connections made)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    connections: list[int] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            connections.append(1)
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/sparql", connections
    stop.set()
    thread.join()
    listener.close()


def refused_or_never_reached(remote, query: str) -> None:
    target, connections = remote
    before = len(connections)
    try:
        checked = check_query(query, set(), 10_000)
    except RefusedQuery:
        return
    with contextlib.suppress(SyntaxError, OSError, RuntimeError):  # it may refuse; it must not call out
        list(ox.Store().query(checked.text))
    assert len(connections) == before, f"the engine reached {target} through {query!r}"


@pytest.mark.parametrize(("shape", "end"), list(itertools.product(SHAPES, TERMINATORS + ESCAPED)))
def test_a_hidden_service_is_refused_or_never_reached(remote, shape, end):
    refused_or_never_reached(remote, shape.format(end=end, target=remote[0]))


# Pieces of a query around a SERVICE clause: comments, line ends plain and escaped, strings, IRIs.
PIECES = (
    *TERMINATORS,
    *ESCAPED,
    "#",
    " # x",
    "\\",
    '"',
    "'",
    '"""',
    "<urn:x#",
    ">",
    " ",
    "\t",
    "{",
    "}",
    ".",
)


@settings(
    max_examples=300, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
@given(
    before=st.lists(st.sampled_from(PIECES), max_size=6),
    after=st.lists(st.sampled_from(PIECES), max_size=4),
    silent=st.booleans(),
)
def test_no_assembly_of_comments_escapes_and_line_ends_reaches_a_service(remote, before, after, silent):
    """Hypothesis assembles the pieces before and after the clause in any order (bounded, repeatable)."""
    service = f"SERVICE {'SILENT ' if silent else ''}<{remote[0]}> {{ ?a ?b ?c }}"
    query = f"SELECT * WHERE {{ ?s ?p ?o {''.join(before)}{service}{''.join(after)}\n}}"
    refused_or_never_reached(remote, query)


def test_the_guard_returns_one_kind_of_line_end():
    checked = check_query("SELECT * WHERE {\r\n  ?s ?p ?o\r}", set(), 10_000)
    assert checked.text == "SELECT * WHERE {\n  ?s ?p ?o\n}"
