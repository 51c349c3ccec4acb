"""Read an N-Triples file (plain or gzip) in blocks of (subject, predicate, object) columns.

Lines in the canonical form localindex writes (`<s> <p> <o> .`, literals without escapes) are split by
one vectorised regular expression; any other line (escapes, blank nodes, comments, odd spacing) is
parsed by pyoxigraph, so the reader accepts exactly what an N-Triples parser accepts. Terms come
back in N-Triples syntax (`<iri>`, `"lexical"^^<datatype>`), which is also the form hashed when a
release's CSVW is compared with its RDF.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyoxigraph as ox

BLOCK_BYTES = 48 << 20
_IRI = r'<[^\x00-\x20<>"{}|^`\\]*>'
_LITERAL = r'"[^"\\\n\r]*"(?:\^\^' + _IRI + r"|@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)?"
CANONICAL = rf"^({_IRI}) ({_IRI}) ({_IRI}|{_LITERAL}) \.$"
TRIPLE_COLUMNS = ["s", "p", "o"]


@dataclass(frozen=True)
class SyntaxProblem:
    line: int
    reason: str


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")


def blocks(path: Path, block_bytes: int = BLOCK_BYTES) -> Iterator[tuple[int, bytes]]:
    """Whole lines of ``path`` in blocks of about ``block_bytes``, with the number of the first line."""
    line, rest = 1, b""
    with _open(path) as handle:
        while chunk := handle.read(block_bytes):
            chunk = rest + chunk
            cut = chunk.rfind(b"\n") + 1
            if cut == 0:
                rest = chunk
                continue
            rest = chunk[cut:]
            yield line, chunk[:cut]
            line += chunk.count(b"\n", 0, cut)
    if rest.strip():
        yield line, rest + b"\n"


def triples(block: bytes, first_line: int, problems: list[SyntaxProblem]) -> pl.DataFrame:
    """The block's triples as columns s, p, o (N-Triples terms); unparseable lines go to ``problems``."""
    try:
        lines = pl.read_csv(
            block,
            has_header=False,
            separator="\x00",
            quote_char=None,
            new_columns=["line"],
            schema={"line": pl.String},
        ).with_row_index("row")
    except pl.exceptions.PolarsError:  # a NUL byte or invalid UTF-8: let the parser say where
        return _parse_slowly(block.decode("utf-8", "replace").split("\n"), first_line, problems)
    canonical = pl.col("line").str.contains(CANONICAL)
    fast = lines.filter(canonical).select(pl.col("line").str.splitn(" ", 3).alias("t")).unnest("t")
    fast = fast.select(
        pl.col("field_0").alias("s"),
        pl.col("field_1").alias("p"),
        pl.col("field_2").str.strip_suffix(" .").alias("o"),
    )
    odd = lines.filter(~canonical & pl.col("line").is_not_null())
    if odd.height == 0:
        return fast
    slow = _parse_slowly(odd["line"].to_list(), first_line, problems, odd["row"].to_list())
    return pl.concat([fast, slow])


def _parse_slowly(
    lines: list[str], first_line: int, problems: list[SyntaxProblem], rows: list[int] | None = None
) -> pl.DataFrame:
    found: list[tuple[str, str, str]] = []
    for index, text in enumerate(lines):
        row = rows[index] if rows is not None else index
        try:
            for triple in ox.parse(text.encode(), format=ox.RdfFormat.N_TRIPLES):
                found.append((str(triple.subject), str(triple.predicate), str(triple.object)))
        except SyntaxError as error:
            problems.append(SyntaxProblem(first_line + row, str(error).split("\n", 1)[0]))
    return pl.DataFrame(found, schema=TRIPLE_COLUMNS, orient="row")


def line_text() -> pl.Expr:
    """The canonical N-Triples line of a triple row."""
    return pl.concat_str([pl.col("s"), pl.col("p"), pl.col("o")], separator=" ") + pl.lit(" .")


def digest(frame: pl.DataFrame) -> tuple[int, int, int]:
    """An order-independent digest of a multiset of triples (terms in N-Triples syntax): (count,
    Σ low halves, Σ high halves) of a 64-bit hash of each triple; 32-bit halves cannot overflow."""
    if frame.height == 0:
        return (0, 0, 0)
    h = pl.struct("s", "p", "o").hash(seed=0)
    sums = frame.select((h & 0xFFFFFFFF).sum().alias("low"), h.floordiv(1 << 32).sum().alias("high")).row(0)
    return (frame.height, int(sums[0]), int(sums[1]))


def add_digests(a: tuple[int, int, int], b: tuple[int, int, int]) -> tuple[int, int, int]:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])
