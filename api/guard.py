r"""Refuse unsafe SPARQL before it reaches the engine (DESIGN.md §7, linked-data-anchors §6).

pyoxigraph and rdflib both fetch remote URLs for SERVICE (and rdflib for FROM), so every query is
parsed first: updates (including LOAD), SERVICE, and FROM / FROM NAMED graphs that are not in the
store are refused with a readable reason. Nothing here executes the query.

SPARQL's \uXXXX escapes are expanded before anything else (as the spec says) and the expanded text
is what gets executed: rdflib expands them and pyoxigraph does not, so checking one text and
running the other would let an escaped quote hide a SERVICE call from the check. Line ends are made
one kind for the same reason: a comment ends at a carriage return for pyoxigraph (as the grammar
says) but not for rdflib's parser, so ``# x\r SERVICE`` hid a SERVICE clause the engine then ran.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pyparsing import ParseException
from rdflib.plugins.sparql.algebra import translatePrologue
from rdflib.plugins.sparql.parser import expandUnicodeEscapes, parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

LINE_ENDS = re.compile(r"\r\n?")  # CR LF and a lone CR: the grammar's other line ends
FORMS = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}


class RefusedQuery(ValueError):
    """The query is malformed or not allowed; the message says why, for the client."""


@dataclass(frozen=True)
class CheckedQuery:
    text: str  # with \u escapes expanded: the text to execute
    form: str  # SELECT | ASK | CONSTRUCT | DESCRIBE
    default_graphs: list[str] = field(default_factory=list)  # FROM
    named_graphs: list[str] = field(default_factory=list)  # FROM NAMED
    limit_can_be_added: bool = False  # no LIMIT and no trailing VALUES: "LIMIT n" may be appended

    def capped(self, rows: int) -> str:
        """The text to run when at most ``rows`` results will be read: an engine (an external store
        above all) then stops at ``rows`` instead of computing and sending everything. SELECT only:
        a CONSTRUCT's LIMIT counts solutions, not the (deduplicated) triples the cap counts, so a
        truncated graph could pass for a whole one."""
        if self.form != "SELECT" or not self.limit_can_be_added:
            return self.text
        return f"{self.text}\nLIMIT {rows}"


def check_query(text: str, known_graphs: set[str], max_length: int) -> CheckedQuery:
    if not text or not text.strip():
        raise RefusedQuery("empty query")
    if len(text) > max_length:
        raise RefusedQuery(f"query is {len(text):,} characters long; the limit is {max_length:,}")
    try:
        text = LINE_ENDS.sub("\n", expandUnicodeEscapes(text))
        return _check(text, known_graphs)
    except RefusedQuery:
        raise
    except RecursionError:
        raise RefusedQuery("the query is nested too deeply to be checked") from None
    except Exception as error:  # any parser failure is the client's query, never a server error
        raise RefusedQuery(f"the query could not be checked: {error}") from None


def _check(text: str, known_graphs: set[str]) -> CheckedQuery:
    try:
        prologue, query = parseQuery(text)
    except ParseException as error:
        if _is_update(text):
            raise RefusedQuery(
                "updates (INSERT, DELETE, LOAD, CLEAR, CREATE, DROP, COPY, MOVE, ADD) are not allowed: "
                "this endpoint is read-only"
            ) from None
        raise RefusedQuery(f"SPARQL syntax error: {error}") from None
    if _contains(query, "ServiceGraphPattern"):
        raise RefusedQuery("SERVICE is not allowed: this endpoint never makes requests to other servers")
    resolved = translatePrologue(prologue, None)
    defaults, named = [], []
    # CompValue.get() returns the key itself when absent, so test membership explicitly.
    for clause in query["datasetClause"] if "datasetClause" in query else []:  # noqa: SIM401
        iri = str(resolved.absolutize(clause["default"] if "default" in clause else clause["named"]))
        (defaults if "default" in clause else named).append(iri)
    unknown = [g for g in defaults + named if g not in known_graphs]
    if unknown:
        raise RefusedQuery(
            f"FROM / FROM NAMED may only name graphs of this store; not known: {', '.join(unknown)} "
            "(the graphs are listed in the service description: GET /sparql)"
        )
    modifiers = query["limitoffset"] if "limitoffset" in query else {}  # noqa: SIM401
    appendable = "limit" not in modifiers and "valuesClause" not in query
    return CheckedQuery(text, FORMS[query.name], defaults, named, appendable)


def check_graph_parameters(iris: list[str], known_graphs: set[str]) -> list[str]:
    unknown = [g for g in iris if g not in known_graphs]
    if unknown:
        raise RefusedQuery(f"default-graph-uri / named-graph-uri not in this store: {', '.join(unknown)}")
    return iris


def _is_update(text: str) -> bool:
    try:
        parseUpdate(text)
    except ParseException:
        return False
    return True


def _contains(node, name: str) -> bool:
    if isinstance(node, CompValue):
        return node.name == name or any(_contains(value, name) for value in node.values())
    if isinstance(node, list | tuple):
        return any(_contains(item, name) for item in node)
    if hasattr(node, "asList") and not isinstance(node, str):
        return any(_contains(item, name) for item in node)
    return False
