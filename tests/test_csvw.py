"""The CSVW download says exactly what the RDF says, read by the csvw package (which matches a CSV's
columns to the metadata by position) with the triple-generation rules of tests/csvw2rdf.py."""

from __future__ import annotations

import gzip
from pathlib import Path

import csvw
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic, to_isomorphic

from publisher.store import current_snapshot
from tests.csvw2rdf import csvw_to_rdf

RELEASES = [
    "imd-lsoa/2019",
    "imd-lsoa/2015",
    "spi-ward/london-2019",
    "spi-lad/london-2019",
    "spi-ward/england-2019",
    "spi-ward/england-2025",
    "imd-ward/2019",
    "imd-lad/2019",
    "imd-stp/2019",
    "imd-ward/2015",
]


@pytest.fixture(scope="module", params=RELEASES)
def release(request, small_settings) -> tuple[Path, str]:
    entry = current_snapshot(small_settings).releases[request.param]
    return Path(entry["dir"]), entry["stem"]


def test_csvw_metadata_and_every_cell_validate_with_the_csvw_package(release):
    directory, stem = release
    group = csvw.TableGroup.from_file(directory / f"{stem}.csv-metadata.json")
    for table in group.tables:
        rows = sum(1 for _ in table.iterdicts(strict=True))  # raises on a cell that breaks its datatype
        assert rows > 0
    assert group.check_referential_integrity(strict=True)


def _published_observations(directory: Path, stem: str, areas: set[str]) -> Graph:
    """The observation triples of the published N-Triples for ``areas``."""
    with gzip.open(directory / f"{stem}.nt.gz", "rt") as handle:
        lines = [line for line in handle if _observation_area(line) in areas]
    return Graph().parse(data="".join(lines), format="nt")


def _observation_area(line: str) -> str | None:
    subject = line.split(" ", 1)[0]
    return subject.split("/obs/", 1)[1].split("/", 1)[0] if "/obs/" in subject else None


def test_csvw_to_rdf_is_isomorphic_with_the_published_rdf(release):
    directory, stem = release
    with open(directory / f"{stem}.csv") as handle:
        all_areas = sorted({line.split(",", 1)[0] for line in handle if line[:1] == "E"})
    sample = set(all_areas[::7])  # every 7th area of the fixture: London and elsewhere
    from_csvw = csvw_to_rdf(
        directory / f"{stem}.csv-metadata.json", keep_row=lambda row: row["area"] in sample
    )
    published = _published_observations(directory, stem, sample)
    assert len(published) > 0
    if not isomorphic(from_csvw, published):
        only_csvw = to_isomorphic(from_csvw) - to_isomorphic(published)
        only_rdf = to_isomorphic(published) - to_isomorphic(from_csvw)
        pytest.fail(f"CSVW-only: {sorted(only_csvw)[:5]}\nRDF-only: {sorted(only_rdf)[:5]}")
    print(f"{stem}: {len(published):,} triples for {len(sample)} areas agree")
