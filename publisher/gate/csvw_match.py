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
SLICE_ROWS = 100_000  # rows of a table turned into triples at a time: bounds the comparison's memory


class CsvwMismatch(ValueError):
    """The CSVW cannot be read by position, or uses a feature the comparison does not interpret."""


def csvw_triples(metadata_path: Path, tables: list[str] | None = None) -> Iterator[pl.DataFrame]:
    """The triples the CSVW generates, as s, p, o frames in N-Triples syntax, a slice of rows at a
    time (a national table's triples would take gigabytes at once); ``tables`` collects the tables read."""
    metadata = json.loads(metadata_path.read_text())
    language = _language(metadata.get("@context"))
    for table in metadata["tables"]:
        path = metadata_path.parent / table["url"]
        columns = table["tableSchema"]["columns"]
        cells = _read_by_position(path, [c for c in columns if not c.get("virtual")])
        if tables is not None:
            tables.append(table["url"])
        for rows in cells.iter_slices(SLICE_ROWS):
            for column in columns:
                if not column.get("suppressOutput"):
                    yield _column_triples(rows, column, language, path.name)


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
    tables: list[str] = []
    total = (0, 0, 0)
    try:
        for frame in csvw_triples(metadata_path, tables):
            total = add_digests(total, digest(frame))
    except (CsvwMismatch, pl.exceptions.PolarsError) as problem:
        return [Finding("csvw", "LI-csvw", "the CSVW reads by position as the RDF says", [str(problem)], 1)]
    if total == rdf_digest:
        return []
    focus = [f"tables {', '.join(tables)} generate {total[0]:,} triples; the RDF has {rdf_digest[0]:,}"]
    focus += _differences(lambda: csvw_triples(metadata_path), rdf_observations)
    return [Finding("csvw", "LI-csvw", "the CSVW says exactly what the RDF says", focus[:SHOWN], len(focus))]


HASHED = pl.struct("s", "p", "o").hash(seed=0).alias("h")


def _differences(
    csvw: Callable[[], Iterator[pl.DataFrame]], rdf: Callable[[], Iterator[pl.DataFrame]]
) -> list[str]:
    """A few triples only the RDF states and a few only the CSVW states (each side read again, keeping
    only the other side's hashes in memory)."""
    csvw_hashes = _hashes(csvw())
    rdf_hashes: list[pl.Series] = []
    only_rdf: list[str] = []
    for frame in rdf():
        frame = frame.with_columns(HASHED)
        rdf_hashes.append(frame["h"])
        only_rdf += _shown(frame, csvw_hashes, "only in the RDF", SHOWN - len(only_rdf))
    known = pl.concat(rdf_hashes) if rdf_hashes else pl.Series("h", [], dtype=pl.UInt64)
    only_csvw: list[str] = []
    for frame in csvw():
        only_csvw += _shown(frame.with_columns(HASHED), known, "only in the CSVW", SHOWN - len(only_csvw))
    return only_rdf[: SHOWN // 2] + only_csvw[: SHOWN // 2]


def _hashes(frames: Iterator[pl.DataFrame]) -> pl.Series:
    hashes = [frame.select(HASHED)["h"] for frame in frames]
    return pl.concat(hashes) if hashes else pl.Series("h", [], dtype=pl.UInt64)


def _shown(frame: pl.DataFrame, other: pl.Series, label: str, wanted: int) -> list[str]:
    if wanted <= 0:
        return []
    missing = frame.filter(~pl.col("h").is_in(other.implode())).head(wanted)
    return [f"{label}: {s} {p} {o}" for s, p, o, _ in missing.iter_rows()]
