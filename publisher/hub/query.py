"""One SPARQL SELECT sent to several member councils' own endpoints, merged into one table.

A hub (hub/config.py) lists the members it may contact; this module contacts nothing else: each member's
configured ``sparql`` URL only, checked with ``Member.allows`` first, and redirects are refused
rather than followed. Members are queried concurrently under one deadline, so one slow or dead
council costs the analyst at most the timeout, and its failure is reported beside the others' rows
instead of hiding them.

Federating councils share their definitions (``definitions_base``), so a measure or concept is
one IRI everywhere and is written in full. What each council mints itself differs by member:
relative IRIs in the query (``<data/imd-lsoa/2019>``) resolve against each member's own
``base_uri``, because a ``BASE`` is put in front of the query per member (a ``BASE`` in the query
itself still wins, being later).
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Literal

from rdflib.plugins.sparql import prepareQuery
from SPARQLWrapper import JSON, POST, SPARQLWrapper

from .config import Member

MEMBER_COLUMN = "member"
MAX_WORKERS = 16
_CHUNK = 64 * 1024
_JSON_TYPES = ("application/sparql-results+json", "application/json")


class QueryRefused(ValueError):
    """The query cannot be federated (not SELECT, not valid SPARQL); nothing was sent to anyone."""


@dataclass(frozen=True)
class MemberOutcome:
    """How one member answered: the CLI's exit status and the JSON report are made from these."""

    status: Literal["ok", "failed"]
    rows: int = 0
    error: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class Result:
    """The merged table: ``head`` starts with ``member``; each row maps a column to its value
    (``None`` where the variable is unbound). ``members`` keeps the order members were given in."""

    head: list[str]
    rows: list[dict[str, str | None]]
    members: dict[str, MemberOutcome] = field(default_factory=dict)

    @property
    def failed(self) -> dict[str, MemberOutcome]:
        return {mid: o for mid, o in self.members.items() if o.status == "failed"}

    @property
    def exit_status(self) -> int:
        """0: every member answered; 2: some failed, at least one answered; 1: none answered."""
        failed = len(self.failed)
        if failed == 0:
            return 0
        return 1 if failed == len(self.members) else 2


class _MemberFailed(Exception):
    """One member's failure, with a reason short enough for one stderr line."""

    def __init__(self, reason: str, seconds: float = 0.0):
        super().__init__(reason)
        self.seconds = seconds


def check_select(query: str) -> list[str]:
    """Refuse anything but a valid SELECT before any request, so a refused query costs nobody a
    request; return the projected variable names (for SELECT * too)."""
    try:
        prepared = prepareQuery(query)
    except Exception as error:  # rdflib raises pyparsing and plain Exceptions alike
        raise QueryRefused(f"not a valid SPARQL query: {_one_line(str(error))}") from None
    form = prepared.algebra.name
    if form != "SelectQuery":
        kind = form.removesuffix("Query").upper()
        raise QueryRefused(f"only SELECT queries can be federated into one table; this is a {kind} query")
    names = [str(v) for v in prepared.algebra.get("PV", [])]
    if MEMBER_COLUMN in names:
        raise QueryRefused(
            f"the query binds ?{MEMBER_COLUMN}, which clashes with the merged table's leading "
            f"'{MEMBER_COLUMN}' column: rename the variable"
        )
    return names


def federated_select(
    members: Sequence[Member], query: str, timeout: float, max_bytes: int | None = None
) -> Result:
    """Send SELECT ``query`` to every member's endpoint at once and merge the answers.

    Raises QueryRefused (before any request) unless ``query`` is a valid SELECT. A member that is
    down, slower than ``timeout`` seconds in all, answers an HTTP error, redirects, or answers
    anything but SPARQL JSON results is a failed outcome, never an exception.
    """
    check_select(query)
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, not {timeout}")
    deadline = time.monotonic() + timeout
    answers: dict[str, tuple[list[str], list[dict[str, Any]]]] = {}
    outcomes: dict[str, MemberOutcome] = {}
    executor = ThreadPoolExecutor(max_workers=max(1, min(MAX_WORKERS, len(members))))
    try:
        futures: dict[Future, Member] = {
            executor.submit(_ask, member, query, deadline, timeout, max_bytes): member for member in members
        }
        # Workers enforce the deadline themselves; the grace only lets them say why they stopped.
        wait(futures, timeout=timeout + 1.0)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    for future, member in futures.items():
        if not future.done():
            reason = f"no answer within {timeout:g} s"
            outcomes[member.id] = MemberOutcome("failed", error=reason, seconds=round(timeout, 3))
            continue
        error = future.exception()
        if error is not None:
            if isinstance(error, _MemberFailed):
                outcomes[member.id] = MemberOutcome("failed", error=str(error), seconds=error.seconds)
            else:  # a bug here, not the member's fault: still one line, still not fatal to the others
                reason = f"{type(error).__name__}: {error}"
                outcomes[member.id] = MemberOutcome("failed", error=reason)
            continue
        variables, bindings, seconds = future.result()
        answers[member.id] = (variables, bindings)
        outcomes[member.id] = MemberOutcome("ok", rows=len(bindings), seconds=seconds)
    return _merge([m.id for m in members], answers, outcomes)


def _ask(
    member: Member, query: str, deadline: float, timeout: float, max_bytes: int | None
) -> tuple[list[str], list[dict[str, Any]], float]:
    """One member's answer: (variables, bindings, seconds). Raises _MemberFailed with the reason."""
    started = time.monotonic()

    def fail(reason: str) -> _MemberFailed:
        return _MemberFailed(reason, round(time.monotonic() - started, 3))

    if not member.allows(member.sparql):
        raise fail(f"sparql URL {member.sparql} is not under base_uri {member.base_uri}; not contacted")
    client = SPARQLWrapper(member.sparql)
    client.setMethod(POST)
    client.setOnlyConneg(True)
    client.setReturnFormat(JSON)
    client.setQuery(f"BASE <{member.base_uri}> {query}")
    # SPARQLWrapper only builds the request: its own urlopen follows redirects to any host.
    request = client._createRequest()
    opener = urllib.request.build_opener(_RefuseRedirects)
    remaining = deadline - time.monotonic()
    try:
        with opener.open(request, timeout=max(remaining, 0.001)) as response:
            media_type = response.headers.get_content_type()
            body = _read_until(response, deadline, max_bytes)
    except urllib.error.HTTPError as error:
        raise fail(f"HTTP {error.code}: {_one_line(_error_body(error)) or error.reason}") from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            raise fail(f"no answer within {timeout:g} s") from None
        raise fail(f"unreachable: {reason}") from None
    except TimeoutError:
        raise fail(f"no answer within {timeout:g} s") from None
    except _MemberFailed as error:
        raise fail(str(error)) from None
    except (OSError, http.client.HTTPException) as error:
        raise fail(f"connection failed: {type(error).__name__}: {error}") from None
    if media_type not in _JSON_TYPES:
        raise fail(f"answered {media_type}, not SPARQL JSON results")
    try:
        document = json.loads(body)
        variables = [str(v) for v in document["head"]["vars"]]
        bindings = document["results"]["bindings"]
        if not isinstance(bindings, list) or not all(
            isinstance(b, dict) and all(isinstance(t, dict) for t in b.values()) for b in bindings
        ):
            raise TypeError("bindings are not a list of objects of terms")
    except (ValueError, KeyError, TypeError) as error:
        raise fail(f"answer is not SPARQL SELECT results in JSON ({_one_line(str(error))})") from None
    return variables, bindings, round(time.monotonic() - started, 3)


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Only the configured URL is contacted: a redirect is a failure, not a second request."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise _MemberFailed(
            f"redirected (HTTP {code}) to {newurl}; only the configured sparql URL is queried"
        )


def _read_until(response, deadline: float, max_bytes: int | None) -> bytes:
    """Read the body in chunks so a server trickling bytes cannot outlast the deadline."""
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(_CHUNK):
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise _MemberFailed(f"answer larger than {max_bytes:,} bytes")
        if time.monotonic() > deadline:
            raise TimeoutError
        chunks.append(chunk)
    return b"".join(chunks)


def _merge(
    order: list[str],
    answers: dict[str, tuple[list[str], list[dict[str, Any]]]],
    outcomes: dict[str, MemberOutcome],
) -> Result:
    """One row per solution, members in the order given; columns: member, then the union of the
    variables in the order first seen. Blank node labels are prefixed with the member id, since
    two members' ``_:b0`` are different nodes."""
    head = [MEMBER_COLUMN]
    rows: list[dict[str, str | None]] = []
    for member_id in order:
        if member_id not in answers:
            continue
        variables, bindings = answers[member_id]
        head.extend(v for v in variables if v not in head)
        for binding in bindings:
            row: dict[str, str | None] = {MEMBER_COLUMN: member_id}
            for name, term in binding.items():
                if name != MEMBER_COLUMN:
                    row[name] = _value(member_id, term)
                    if name not in head:
                        head.append(name)
            rows.append(row)
    for row in rows:
        for name in head:
            row.setdefault(name, None)
    return Result(head=head, rows=rows, members={m: outcomes[m] for m in order})


def _value(member_id: str, term: dict[str, Any]) -> str:
    if term.get("type") == "bnode":
        return f"_:{member_id}-{term.get('value', '')}"
    return str(term.get("value", ""))


def to_csv(result: Result) -> str:
    """RFC 4180 CSV (as SPARQL CSV results): plain values, an unbound variable is an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(result.head)
    for row in result.rows:
        writer.writerow(["" if row[name] is None else row[name] for name in result.head])
    return buffer.getvalue()


def to_json(result: Result) -> str:
    """The table with each member's outcome, so a script can tell a member with no rows from one
    that did not answer."""
    document = {
        "members": {
            member_id: {
                "status": outcome.status,
                "rows": outcome.rows,
                "error": outcome.error,
                "seconds": outcome.seconds,
            }
            for member_id, outcome in result.members.items()
        },
        "head": result.head,
        "rows": result.rows,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _error_body(error: urllib.error.HTTPError) -> str:
    try:
        return error.read(2000).decode("utf-8", "replace")
    except OSError:
        return ""


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
