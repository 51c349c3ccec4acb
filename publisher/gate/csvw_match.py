"""Does a release's CSVW say exactly what its RDF says? Read as a conforming processor reads it.

Columns are matched by position, as the CSVW metadata compatibility rules require: a CSV's header
must be its table's non-virtual columns, in order, and each cell is then interpreted by the column
at its position. The triples the metadata's templates generate (W3C "Generating RDF from Tabular
Data", standard mode, without the csvw:Table/Row bookkeeping) are digested the same way as the
release's observation triples (publisher/gate/ntriples.py), so equality is one comparison.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl

from ..rdf import uris
from .ntriples import add_digests, digest
from .report import SHOWN, Finding

TEMPLATE_PART = re.compile(r"\{([^{}]+)\}")
UNRESERVED = r"^[A-Za-z0-9._~-]*$"  # cells a URI template expands without percent-encoding
DATATYPES = {"decimal": uris.XSD + "decimal", "integer": uris.XSD + "integer"}


class CsvwMismatch(ValueError):
    """The CSVW cannot be read by position, or uses a feature the comparison does not interpret."""


def csvw_triples(metadata_path: Path) -> tuple[list[str], list[pl.DataFrame]]:
    """(tables read, the triples each table generates as s, p, o frames in N-Triples syntax)."""
    metadata = json.loads(metadata_path.read_text())
    language = _language(metadata.get("@context"))
    names, frames = [], []
    for table in metadata["tables"]:
        path = metadata_path.parent / table["url"]
        columns = table["tableSchema"]["columns"]
        cells = _read_by_position(path, [c for c in columns if not c.get("virtual")])
        names.append(table["url"])
        for column in columns:
            if column.get("suppressOutput"):
                continue
            frames.append(_column_triples(cells, column, language, path.name))
    return names, frames


def _language(context) -> str | None:
    for item in context if isinstance(context, list) else [context]:
        if isinstance(item, dict) and "@language" in item:
            return item["@language"]
    return None


def _read_by_position(path: Path, physical: list[dict]) -> pl.DataFrame:
    expected = [_title(c) for c in physical]
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle), [])
    if header != expected:
        raise CsvwMismatch(
            f"{path.name}: header is {header}, but the metadata's columns are, in order, {expected}"
        )
    positional = [f"c{i}" for i in range(len(expected))]
    frame = pl.read_csv(
        path, has_header=True, new_columns=positional, schema={c: pl.String for c in positional}
    )
    return frame.rename(dict(zip(positional, [c["name"] for c in physical], strict=True)))


def _title(column: dict) -> str:
    titles = column.get("titles", column["name"])
    return titles[0] if isinstance(titles, list) else titles


def _expand(template: str, cells: pl.DataFrame, where: str) -> pl.Expr:
    """A URI template of simple {name} expressions, as a column expression."""
    parts: list[pl.Expr] = []
    position = 0
    for match in TEMPLATE_PART.finditer(template):
        parts.append(pl.lit(template[position : match.start()]))
        name = match.group(1)
        if name not in cells.columns:
            raise CsvwMismatch(f"{where}: template {template} names {name!r}, which is not a column")
        bad = cells.filter(~pl.col(name).str.contains(UNRESERVED))
        if bad.height:
            raise CsvwMismatch(f"{where}: column {name!r} holds {bad[name][0]!r}, which would need escaping")
        parts.append(pl.col(name))
        position = match.end()
    parts.append(pl.lit(template[position:]))
    return pl.concat_str(parts)


def _column_triples(cells: pl.DataFrame, column: dict, language: str | None, where: str) -> pl.DataFrame:
    name = column["name"]
    if "aboutUrl" not in column or "propertyUrl" not in column:
        raise CsvwMismatch(f"{where}: column {name!r} has no aboutUrl or propertyUrl")
    subject = pl.lit("<") + _expand(column["aboutUrl"], cells, where) + pl.lit(">")
    predicate = pl.lit("<") + _expand(column["propertyUrl"], cells, where) + pl.lit(">")
    if "valueUrl" in column:
        obj = pl.lit("<") + _expand(column["valueUrl"], cells, where) + pl.lit(">")
    else:
        obj = _literal(pl.col(name), column, language)
    rows = cells if column.get("virtual") else cells.filter(pl.col(name).is_not_null())
    return rows.select(subject.alias("s"), predicate.alias("p"), obj.alias("o"))


def _literal(cell: pl.Expr, column: dict, language: str | None) -> pl.Expr:
    datatype = column.get("datatype", "string")
    base = datatype.get("base", "string") if isinstance(datatype, dict) else datatype
    quoted = pl.lit('"') + cell + pl.lit('"')
    if base in DATATYPES:
        return quoted + pl.lit(f"^^<{DATATYPES[base]}>")
    if base == "string":
        return quoted + pl.lit(f"@{language}") if language else quoted
    raise CsvwMismatch(f"column {column['name']!r}: datatype {base!r} is not interpreted by the comparison")


def compare(
    metadata_path: Path,
    rdf_digest: tuple[int, int, int],
    rdf_observations: Callable[[], Iterator[pl.DataFrame]],
) -> list[Finding]:
    """Findings (LI-csvw) unless the CSVW's triples are exactly the release's observation triples;
    ``rdf_observations`` reads those again, only to name a few differing triples."""
    try:
        tables, frames = csvw_triples(metadata_path)
    except (CsvwMismatch, pl.exceptions.PolarsError) as problem:
        return [Finding("csvw", "LI-csvw", "the CSVW reads by position as the RDF says", [str(problem)], 1)]
    total = (0, 0, 0)
    for frame in frames:
        total = add_digests(total, digest(frame))
    if total == rdf_digest:
        return []
    focus = [f"tables {', '.join(tables)} generate {total[0]:,} triples; the RDF has {rdf_digest[0]:,}"]
    focus += _differences(pl.concat(frames), rdf_observations())
    return [Finding("csvw", "LI-csvw", "the CSVW says exactly what the RDF says", focus[:SHOWN], len(focus))]


def _differences(csvw: pl.DataFrame, rdf: Iterator[pl.DataFrame]) -> list[str]:
    """A few triples only the RDF states and a few only the CSVW states."""
    hashed = pl.struct("s", "p", "o").hash(seed=0).alias("h")
    csvw = csvw.with_columns(hashed)
    seen: list[pl.Series] = []
    only_rdf: list[str] = []
    for frame in rdf:
        frame = frame.with_columns(hashed)
        seen.append(frame["h"])
        for s, p, o, _ in frame.filter(~pl.col("h").is_in(csvw["h"].implode())).head(SHOWN).iter_rows():
            only_rdf.append(f"only in the RDF: {s} {p} {o}")
    rdf_hashes = pl.concat(seen) if seen else pl.Series("h", [], dtype=pl.UInt64)
    only_csvw = [
        f"only in the CSVW: {s} {p} {o}"
        for s, p, o, _ in csvw.filter(~pl.col("h").is_in(rdf_hashes.implode())).head(SHOWN).iter_rows()
    ]
    return only_rdf[: SHOWN // 2] + only_csvw[: SHOWN // 2]
