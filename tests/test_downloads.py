"""Downloads people can open (issue 21, point 3) and the Atom feeds of releases (point 4), on the small
real-data build: names beside codes, headers for people, the same rows in CSV, Excel and Parquet, every
file in DCAT with its real size, and feeds that an Atom parser we did not write reads as Atom 1.0."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pandas as pd
import pytest
from lxml import etree
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from api import create_app
from publisher.config import Settings
from publisher.downloads import Notes, WorkbookWriter, write_parquet
from publisher.inputs.datasets import all_datasets, select
from publisher.inputs.gazetteer import gazetteer
from publisher.rdf.csvw import CsvwTable
from publisher.rdf.cube import CubeShape
from publisher.rdf.metadata import DCAT, Revision
from publisher.rdf.uris import Minter
from publisher.store import current_snapshot
from publisher.workbook import write_workbook
from tests.conftest import all_published, build_quietly, release_csv

RELEASES = ["imd-lsoa/2019", "imd-lad/2019", "imd-ward/2015", "spi-ward/london-2019", "imd-lad/2025"]
NUMERIC = {"integer", "decimal"}
ATOM_SCHEMA = Path(__file__).parent / "schemas" / "atom.rng"
MHCLG = "Ministry of Housing, Communities & Local Government"


@pytest.fixture(scope="module")
def snapshot(small_settings):
    return current_snapshot(small_settings)


@pytest.fixture(scope="module")
def client(small_settings):
    return create_app(small_settings).test_client()


def _files(snapshot, name: str) -> tuple[Path, str, list[dict]]:
    """A release's folder, its files' stem and its CSVW tables."""
    release = snapshot.releases[name]
    directory = Path(release["dir"])
    metadata = json.loads((directory / f"{release['stem']}.csv-metadata.json").read_text())
    return directory, release["stem"], metadata["tables"]


def _physical(table: dict) -> list[dict]:
    return [c for c in table["tableSchema"]["columns"] if not c.get("virtual")]


def _datatype(column: dict) -> str:
    datatype = column.get("datatype", "string")
    return datatype.get("base", "string") if isinstance(datatype, dict) else datatype


def _comparable(frame: pd.DataFrame, table: dict) -> pd.DataFrame:
    """Cells as Python values by the column's CSVW datatype: numbers as floats (NaN for none), text
    as str ('' for none); so a CSV, a sheet and a Parquet file compare cell for cell, exactly."""
    out = {}
    for column in _physical(table):
        cells = frame[column["titles"]]
        if _datatype(column) in NUMERIC:
            out[column["titles"]] = [float("nan") if pd.isna(c) or c == "" else float(c) for c in cells]
        else:
            out[column["titles"]] = ["" if pd.isna(c) else str(c) for c in cells]
    return pd.DataFrame(out)


@pytest.mark.parametrize("name", RELEASES)
def test_the_csv_has_headers_for_people_and_the_metadata_keeps_the_machine_names(snapshot, name):
    directory, stem, tables = _files(snapshot, name)
    for table in tables:
        header = pd.read_csv(directory / table["url"], nrows=0).columns.tolist()
        assert header == [c["titles"] for c in _physical(table)]
        assert header[:2] == ["Area code", "Area name"]
        assert header[2] == "Period"
        names = [c["name"] for c in _physical(table)]
        assert names[:3] == ["area", "area_name", "period"]
        area_name = next(c for c in _physical(table) if c["name"] == "area_name")
        assert area_name["suppressOutput"] is True  # read by people, never turned into triples
    assert all(c.get("dc:description") for c in _physical(tables[0]))


def test_area_names_are_the_geographys(snapshot):
    places = gazetteer()
    for name, code in [
        ("imd-lad/2019", "E09000002"),
        ("imd-lsoa/2019", "E01000027"),
        ("imd-ward/2015", "E05000026"),
        ("imd-lad/2019", "E06000001"),
    ]:
        directory, stem, _ = _files(snapshot, name)
        table = release_csv(directory, stem, dtype=str, keep_default_na=False)
        named = set(table.loc[table["area"] == code, "area_name"])
        assert named == {places.name(code)}, (name, code, named)
    lad = release_csv(*_files(snapshot, "imd-lad/2019")[:2], dtype=str, keep_default_na=False)
    assert set(lad.loc[lad["area"] == "E09000002", "area_name"]) == {"Barking and Dagenham"}
    for name in RELEASES:
        table = release_csv(*_files(snapshot, name)[:2], dtype=str, keep_default_na=False)
        assert (table["area_name"] != "").all(), name


@pytest.mark.parametrize("name", RELEASES)
def test_excel_and_parquet_hold_the_rows_and_columns_of_the_csv(snapshot, name):
    directory, stem, tables = _files(snapshot, name)
    sheets = pd.read_excel(directory / f"{stem}.xlsx", sheet_name=None)
    assert list(sheets) == ["notes", "data", *(["status"] if len(tables) > 1 else [])]
    for table, sheet in zip(tables, list(sheets)[1:], strict=True):
        csv_path = directory / table["url"]
        from_csv = _comparable(pd.read_csv(csv_path, dtype=str, keep_default_na=False), table)
        assert len(from_csv) > 0
        from_excel = _comparable(sheets[sheet], table)
        from_parquet = _comparable(pd.read_parquet(csv_path.with_suffix(".parquet")), table)
        pd.testing.assert_frame_equal(from_excel, from_csv, check_exact=True)
        pd.testing.assert_frame_equal(from_parquet, from_csv, check_exact=True)


def test_the_notes_sheet_says_where_the_data_come_from_and_what_each_column_means(snapshot):
    directory, stem, tables = _files(snapshot, "imd-lad/2019")
    notes = pd.read_excel(directory / f"{stem}.xlsx", sheet_name="notes", header=None).fillna("")
    said = dict(zip(notes[0], notes[1], strict=True))
    assert MHCLG in said["Producers of the source data"]
    assert said["Licence"].startswith("Open Government Licence v3.0")
    assert said["Method"].endswith("/def/method/imd-area-summaries")
    assert said["Dataset (cite this URI)"] == snapshot.releases["imd-lad/2019"]["dataset"]
    for column in _physical(tables[0]):
        assert said[column["titles"]] == column["dc:description"]
    assert said["imd"] == "Index of Multiple Deprivation"


def _notes(name: str) -> Notes:
    """Notes of a bundled dataset, for a workbook written by a test."""
    settings = Settings()
    minter = Minter.of(settings)
    [spec] = select(all_datasets(settings), [name])
    return Notes(
        spec,
        CubeShape.of(spec, minter, "imd-domain"),
        "localindex",
        [],
        minter.method("x"),
        Revision(1, "2019-09-26", ""),
    )


def test_a_table_longer_than_a_sheet_continues_on_the_next(snapshot, tmp_path):
    """Excel holds 1,048,576 rows a sheet; no bundled release has more, so the split is shown with a
    smaller sheet on the real LSOA table."""
    directory, stem, tables = _files(snapshot, "imd-lsoa/2019")
    frames = [release_csv(directory, stem, status=s, dtype=str, keep_default_na=False) for s in (False, True)]
    written = write_parquet(
        [CsvwTable(tmp_path / t["url"], f, t) for t, f in zip(tables, frames, strict=True)]
    )
    notes = _notes("imd-lsoa/2019")
    path = write_workbook(tmp_path / "split.xlsx", notes.contents(written), rows_per_sheet=500)
    sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
    data = [s for s in sheets if s.startswith("data")]
    assert data == ["data", "data (2)", "data (3)", "data (4)"][: len(data)] and len(data) > 1
    together = pd.concat([sheets[s] for s in data], ignore_index=True)
    pd.testing.assert_frame_equal(
        _comparable(together, tables[0]),
        _comparable(pd.read_csv(directory / tables[0]["url"], dtype=str, keep_default_na=False), tables[0]),
        check_exact=True,
    )
    said = dict(
        zip(*pd.read_excel(path, sheet_name="notes", header=None).fillna("")[[0, 1]].T.values, strict=True)
    )
    assert "data, data (2)" in said["Sheets"] and "500 rows a sheet" in said["Sheets"]


def test_a_large_tables_workbook_is_made_once_on_request_as_the_build_would_write_it(tmp_path, monkeypatch):
    """A large table's workbook is left out of the build (xlsxwriter holds the GIL for minutes of a
    national build) and made from the release's Parquet when first asked for: the same workbook the
    build writes, made once, and stated in DCAT as made on request (no size until then)."""
    name = "spi-lad/london-2019"
    written = Settings(var_dir=tmp_path / "written" / "var")
    assert all_published(build_quietly(written, (name,)))
    monkeypatch.setattr(WorkbookWriter, "LARGE", 1)  # every table is large
    deferred = Settings(var_dir=tmp_path / "deferred" / "var")
    assert all_published(build_quietly(deferred, (name,)))  # the gate's catalogue profile (CAT-7) holds
    release = current_snapshot(deferred).releases[name]
    directory, stem = Path(release["dir"]), release["stem"]
    assert not (directory / f"{stem}.xlsx").exists()
    graph = Graph().parse(directory / f"{stem}-metadata.ttl", format="turtle")
    workbook = URIRef(f"{deferred.base_uri}downloads/{name}/{stem}.xlsx")
    assert (URIRef(release["dataset"]), DCAT.distribution, workbook) in graph
    assert graph.value(workbook, DCAT.byteSize) is None
    assert graph.value(workbook, URIRef(deferred.base_uri + "def/ontology/madeOnRequest")).toPython() is True

    client = create_app(deferred).test_client()
    assert client.get("/downloads/").get_json()[name][f"{stem}.xlsx"] == str(workbook)
    for page in ("/downloads/", f"/data/{name}"):  # said in words until it is made
        html = client.get(page, headers={"Accept": "text/html"})
        assert html.status_code == 200 and "made when first asked for" in html.get_data(as_text=True), page
    first = client.get(f"/downloads/{name}/{stem}.xlsx")
    assert first.status_code == 200 and first.mimetype.endswith("spreadsheetml.sheet")
    [made] = (deferred.var_dir / "workbooks").glob(f"*/{stem}.xlsx")
    when = made.stat().st_mtime_ns
    assert client.get(f"/downloads/{name}/{stem}.xlsx").data == first.data and made.stat().st_mtime_ns == when
    built = Path(current_snapshot(written).releases[name]["dir"]) / f"{stem}.xlsx"
    ours, theirs = (pd.read_excel(p, sheet_name=None) for p in (made, built))
    assert list(ours) == list(theirs)
    for sheet in ours:
        if sheet != "notes":  # the notes name the release's own build
            pd.testing.assert_frame_equal(ours[sheet], theirs[sheet])


@pytest.mark.parametrize("name", RELEASES)
def test_every_download_is_in_dcat_with_its_media_type_and_real_size(snapshot, client, small_settings, name):
    release = snapshot.releases[name]
    directory = Path(release["dir"])
    graph = Graph().parse(directory / f"{release['stem']}-metadata.ttl", format="turtle")
    graph.parse(data=client.get("/catalog.ttl").data, format="turtle")
    distributions = set(graph.objects(URIRef(release["dataset"]), DCAT.distribution))
    files = {p.name: p for p in directory.iterdir() if p.name != "validation.txt"}  # the gate's report
    assert {str(d).rsplit("/", 1)[1] for d in distributions} == set(files)
    for distribution in distributions:
        path = files[str(distribution).rsplit("/", 1)[1]]
        assert (distribution, RDF.type, DCAT.Distribution) in graph
        assert graph.value(distribution, DCAT.downloadURL) == distribution
        assert graph.value(distribution, DCAT.byteSize).toPython() == path.stat().st_size, path.name
        assert client.get(str(distribution).replace(small_settings.base_uri, "/")).status_code == 200
    media = {
        str(d).rsplit("/", 1)[1]: str(graph.value(d, DCAT.mediaType)).rsplit("media-types/", 1)[1]
        for d in distributions
    }
    assert (
        media[f"{release['stem']}.xlsx"]
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert media[f"{release['stem']}.parquet"] == "application/vnd.apache.parquet"


def parsed_feed(body: bytes):
    """A feed valid against RFC 4287's RELAX NG schema (with libxml2's validator) and its two
    Schematron rules, as an Atom parser we did not write reads it."""
    document = etree.fromstring(body)
    schema = etree.RelaxNG(etree.parse(ATOM_SCHEMA))
    assert schema.validate(document), schema.error_log
    atom = {"atom": "http://www.w3.org/2005/Atom"}
    for entry in document.findall("atom:entry", atom):
        assert document.find("atom:author", atom) is not None or entry.find("atom:author", atom) is not None
        assert entry.xpath("atom:link[@rel='alternate' or not(@rel)] or atom:content", namespaces=atom)
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    return feed


def test_the_feed_lists_every_release_and_revision_newest_first(client, snapshot):
    response = client.get("/feed.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = parsed_feed(response.data)
    revisions = {
        r["dataset"]: r
        for release in snapshot.releases.values()
        for r in [*release.get("history", []), release]
    }
    assert [e.id for e in feed.entries] and {e.id for e in feed.entries} == set(revisions)
    dates = [e.updated for e in feed.entries]
    assert dates == sorted(dates, reverse=True)
    assert feed.feed.updated == dates[0]
    for entry in feed.entries:
        record = revisions[entry.id]
        assert entry.updated.startswith(record["issued"])
        assert entry.link == record["dataset"]  # the edition's page (a revision's own page after the first)
        assert entry.title.startswith(record["title"])
        assert record["description"][:60] in entry.summary


def test_a_series_has_its_own_feed_and_its_pages_link_it(client, snapshot):
    feed = parsed_feed(client.get("/feed/imd-lad.atom").data)
    assert feed.entries and all("/data/imd-lad/" in e.id for e in feed.entries)
    assert feed.feed.id.endswith("/feed/imd-lad.atom")
    assert client.get("/feed/no-such-series.atom").status_code == 404
    page = client.get("/data/imd-lad/2019", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert '<link rel="alternate" type="application/atom+xml" href="/feed/imd-lad.atom"' in page
