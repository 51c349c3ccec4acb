"""Copy the needed columns of the real public files into data/, with provenance.

Run by maintainers (``make bundle``) when the bundled subset changes; a normal build never reads
``../shared``. Values are copied as text, unchanged; only columns are selected and renamed. A source
may be CSV (plain or gzip) or one sheet of an Excel workbook (``sheet``, as the official IoD2025 files
are published), and a long table may be spread into columns (``pivot``: one row per key, one column
per value of a label column), so that every bundled table has one row per area.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import tomllib
from pathlib import Path

from ..paths import DATA_DIR, SHARED_RAW_DIR
from .boundaries import simplify

BOUNDARY_BUDGET_BYTES = 4_000_000  # every bundled boundary file, gzipped

BUNDLE_SPEC = DATA_DIR / "bundle.toml"
PROVENANCE_JSON = DATA_DIR / "provenance.json"
PROVENANCE_MD = DATA_DIR / "PROVENANCE.md"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_spec() -> dict:
    with BUNDLE_SPEC.open("rb") as handle:
        return tomllib.load(handle)


def bundle(raw_dir: Path = SHARED_RAW_DIR, data_dir: Path = DATA_DIR) -> list[dict]:
    """Write every bundled file and return its provenance records."""
    spec = load_spec()
    records = []
    for entry in spec["file"]:
        source = raw_dir / entry["source"]
        target = data_dir / entry["path"]
        rows = _select_columns(_source_rows(source, entry), entry["columns"], source)
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_deterministic_gzip(target, rows)
        records.append(
            {
                "path": entry["path"],
                "title": entry["title"],
                "publisher": entry["publisher"],
                "url": entry["url"],
                "licence": spec["ogl"]["licence"],
                "licence_label": spec["ogl"]["licence_label"],
                "source": f"shared/data/raw/{entry['source']}",
                "source_sha256": sha256_of(source),
                "sha256": sha256_of(target),
                "rows": len(rows) - 1,
                "columns": entry["columns"],
                **({"notes": " ".join(entry["notes"].split())} if "notes" in entry else {}),
            }
        )
        print(f"bundled {entry['path']}: {len(rows) - 1:,} rows")
    for entry in spec.get("boundary", []):
        source = raw_dir / entry["source"]
        sizes = simplify(
            source, data_dir / entry["path"], entry["code"], entry["tolerance"], entry.get("only", "")
        )
        records.append(
            {
                **{k: entry[k] for k in ("path", "title", "publisher", "url", "tolerance", "vintage")},
                "draws": entry.get("draws", []),
                "licence": spec["ogl"]["licence"],
                "licence_label": spec["ogl"]["licence_label"],
                "source": f"shared/data/raw/{entry['source']}",
                "source_sha256": sha256_of(source),
                "sha256": sha256_of(data_dir / entry["path"]),
                **sizes,
            }
        )
        sizes_text = f"{sizes['source_bytes']:,} → {sizes['bytes']:,} bytes"
        print(f"bundled {entry['path']}: {sizes['features']:,} areas, {sizes_text}")
    PROVENANCE_JSON.write_text(json.dumps(records, indent=2) + "\n")
    PROVENANCE_MD.write_text(_provenance_markdown(records))
    return records


def _source_rows(source: Path, entry: dict) -> list[list[str]]:
    """The source table as text rows, header first (a pivoted table as its spread-out form)."""
    if "sheet" in entry:
        rows = _sheet_rows(source, entry["sheet"])
    else:
        opener = gzip.open if source.suffix == ".gz" else open
        with opener(source, "rt", encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    rows[0] = [name.strip() for name in rows[0]]
    return _pivot(rows, entry["pivot"], source) if "pivot" in entry else rows


def _sheet_rows(source: Path, sheet: str) -> list[list[str]]:
    """One worksheet's cells as text: whole numbers without a decimal point, as a CSV export has them."""
    import openpyxl  # a maintainer's dependency (dev extra): only `make bundle` reads workbooks

    workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    try:
        cells = workbook[sheet].iter_rows(values_only=True)
        rows = [["" if v is None else str(v) for v in row] for row in cells]
        return [row for row in rows if any(row)]
    except KeyError:
        raise SystemExit(f"{source}: no sheet {sheet!r} (sheets: {', '.join(workbook.sheetnames)})") from None
    finally:
        workbook.close()


def _pivot(rows: list[list[str]], pivot: dict[str, str], source: Path) -> list[list[str]]:
    """Spread a long table (key, label, value) into one row per key and one column per label."""
    header = rows[0]
    try:
        key, label, value = (header.index(pivot[k]) for k in ("key", "columns", "values"))
    except ValueError as error:
        raise SystemExit(f"{source}: pivot column not found: {error}") from error
    labels: list[str] = []
    table: dict[str, dict[str, str]] = {}
    for number, row in enumerate(rows[1:], start=2):
        cells = table.setdefault(row[key], {})
        if row[label] in cells:
            raise SystemExit(f"{source}, row {number}: {row[key]} has {row[label]!r} twice")
        cells[row[label]] = row[value]
        if row[label] not in labels:
            labels.append(row[label])
    spread = [[pivot["key"], *labels]]
    spread.extend([code, *(cells.get(name, "") for name in labels)] for code, cells in table.items())
    return spread


def _select_columns(rows: list[list[str]], columns: dict[str, str], source: Path) -> list[list[str]]:
    header = rows[0]
    try:
        indexes = [header.index(original.strip()) for original in columns.values()]
    except ValueError as error:
        raise SystemExit(f"{source}: column not found: {error}") from error
    return [list(columns), *([row[i] for i in indexes] for row in rows[1:])]


def _write_deterministic_gzip(target: Path, rows: list[list[str]]) -> None:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    with (
        target.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as handle,
    ):
        handle.write(text.getvalue().encode("utf-8"))


def _provenance_markdown(records: list[dict]) -> str:
    drawn = sum(r["bytes"] for r in records if "features" in r)
    if drawn > BOUNDARY_BUDGET_BYTES:
        raise SystemExit(f"boundaries take {drawn:,} bytes, over the budget of {BOUNDARY_BUDGET_BYTES:,}")
    lines = [
        "# Bundled inputs: provenance",
        "",
        "Generated by `make bundle` (publisher/inputs/bundle.py) from `data/bundle.toml`. "
        "Each file below is a",
        "column subset of a real public file kept in `../shared/data/raw/` (see its `SOURCES.md` for",
        "where those bytes came from). Values are copied as text, unchanged; columns are renamed to the",
        "short names listed. Files are gzip-compressed UTF-8 CSV with LF line endings.",
        "",
        "The two sample submissions in `data/submissions/` are described in `data/submissions/README.md`.",
        "",
        f"Boundary files (GeoJSON for drawing maps, never for computing) total {drawn:,} bytes gzipped, "
        f"within the budget of {BOUNDARY_BUDGET_BYTES:,}: all of England's LSOAs (2021), wards, districts",
        "and ICBs, and London's LSOAs (2011), wards (2019) and boroughs (2019).",
        "",
    ]
    for record in records:
        if "features" in record:
            lines += _boundary_markdown(record)
            continue
        renamed = "; ".join(f"`{new}` ← `{old.strip()}`" for new, old in record["columns"].items())
        lines += [
            f"## `data/{record['path']}`",
            "",
            f"- What: {record['title']}",
            f"- Publisher: {record['publisher']} ({record['url']})",
            f"- Licence: {record['licence_label']} ({record['licence']})",
            f"- Source file: `{record['source']}`, sha256 `{record['source_sha256']}`",
            f"- Bundled file sha256: `{record['sha256']}`; rows: {record['rows']:,}",
            f"- Columns: {renamed}",
            *([f"- Checks / notes: {record['notes']}"] if "notes" in record else []),
            "",
        ]
    return "\n".join(lines)


def _boundary_markdown(record: dict) -> list[str]:
    return [
        f"## `data/{record['path']}`",
        "",
        f"- What: {record['title']}",
        f"- Vintage: {record['vintage']}"
        + (f"; also draws the unchanged areas of {', '.join(record['draws'])}" if record["draws"] else ""),
        f"- Publisher: {record['publisher']} ({record['url']})",
        f"- Licence: {record['licence_label']} ({record['licence']}); "
        "contains OS data © Crown copyright and database right",
        f"- Source file: `{record['source']}`, sha256 `{record['source_sha256']}`",
        f"- Simplified (Douglas-Peucker, tolerance {record['tolerance']} degrees, topology kept per polygon, "
        f"coordinates to 5 decimals): {record['features']:,} areas; {record['source_bytes']:,} bytes → "
        f"{record['geojson_bytes']:,} bytes of GeoJSON, {record['bytes']:,} gzipped; "
        f"sha256 `{record['sha256']}`",
        "",
    ]


if __name__ == "__main__":
    bundle()
