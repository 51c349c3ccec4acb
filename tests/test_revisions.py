"""Corrections: a changed edition becomes revision 2, revision 1 keeps resolving, and real clients
(rdflib dereferencing over HTTP, SPARQLWrapper) see both through a running server."""

from __future__ import annotations

import gzip
import json
import shutil
import urllib.error
import urllib.request

import pandas as pd
import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, PROV
from SPARQLWrapper import CSV, JSON, JSONLD, N3, TSV, TURTLE, XML, SPARQLWrapper

from publisher.config import Settings
from publisher.paths import DATA_DIR
from publisher.rdf.uris import Minter
from publisher.store import current_snapshot

from .conftest import build_quietly, fixture_areas, start_server
from .processes import free_port
from .test_downloads import parsed_feed

CORRECTED_LSOA = "E01000027"  # Barking and Dagenham 001A


def correct_population(data_dir, lsoa: str) -> tuple[float, float]:
    """Change one LSOA's total population in the bundled File 6 copy; return (old, new)."""
    path = data_dir / "iod2019" / "file6_population.csv.gz"
    frame = pd.read_csv(path, dtype=str)
    row = frame["lsoa"] == lsoa
    old = float(frame.loc[row, "total"].iloc[0])
    frame.loc[row, "total"] = str(int(old) + 7)
    with gzip.open(path, "wt", newline="") as handle:
        frame.to_csv(handle, index=False)
    return old, old + 7


@pytest.fixture(scope="module")
def corrected(tmp_path_factory):
    """imd-lsoa/2019 built, rebuilt unchanged, then corrected; with a server whose base URI is its own."""
    root = tmp_path_factory.mktemp("revisions")
    data_dir = root / "data"
    shutil.copytree(DATA_DIR, data_dir)
    port = free_port()
    settings = Settings(
        var_dir=root / "var", datasets_file=data_dir / "datasets.toml", base_uri=f"http://127.0.0.1:{port}/"
    )
    first = build_quietly(settings, ("imd-lsoa/2019",), only_areas=fixture_areas())
    registry_after_first = (settings.var_dir / "registry.json").read_text()
    unchanged = build_quietly(settings, ("imd-lsoa/2019",), only_areas=fixture_areas())
    registry_after_unchanged = (settings.var_dir / "registry.json").read_text()
    old, new = correct_population(data_dir, CORRECTED_LSOA)
    second = build_quietly(settings, ("imd-lsoa/2019",), only_areas=fixture_areas())
    again = build_quietly(settings, ("imd-lsoa/2019",), only_areas=fixture_areas())
    server = start_server(
        root, settings, port, base_uri=settings.base_uri, datasets_file=str(data_dir / "datasets.toml")
    )
    yield {
        "settings": settings,
        "minter": Minter(settings.base_uri),
        "outcomes": (first, unchanged, second, again),
        "registries": (registry_after_first, registry_after_unchanged),
        "values": (old, new),
        "server": server,
    }
    server.stop()


def test_unchanged_rebuild_creates_nothing(corrected):
    first, unchanged, _, again = corrected["outcomes"]
    assert [o.status for o in first] == ["published"]
    assert [o.status for o in unchanged] == ["unchanged"]
    assert [o.status for o in again] == ["unchanged"]
    before, after = corrected["registries"]
    assert json.loads(before)["releases"] == json.loads(after)["releases"]


def test_a_correction_is_revision_2_and_replaces_revision_1(corrected):
    minter, settings = corrected["minter"], corrected["settings"]
    [outcome] = corrected["outcomes"][2]
    assert outcome.status == "published"
    release = current_snapshot(settings).releases["imd-lsoa/2019"]
    edition, revision_2 = minter.edition("imd-lsoa", "2019"), minter.revision("imd-lsoa", "2019", 2)
    assert release["revision"] == 2 and release["dataset"] == revision_2
    [revision_1] = release["history"]
    assert revision_1["dataset"] == edition and revision_1["replaced_by"] == revision_2

    old_description = Graph().parse(edition, format="turtle")  # rdflib dereferences over HTTP
    assert (URIRef(edition), DCTERMS.isReplacedBy, URIRef(revision_2)) in old_description
    new_description = Graph().parse(revision_2)
    assert (URIRef(revision_2), DCTERMS.replaces, URIRef(edition)) in new_description
    assert (URIRef(revision_2), PROV.wasRevisionOf, URIRef(edition)) in new_description
    content = URIRef(minter.ontology("contentSha256"))
    assert str(new_description.value(URIRef(revision_2), content)) == release["content"]
    assert old_description.value(URIRef(edition), content) != new_description.value(
        URIRef(revision_2), content
    )
    assert isomorphic(new_description, Graph().parse(revision_2 + ".jsonld", format="json-ld"))


def test_both_revisions_resolve_with_their_own_values(corrected):
    minter = corrected["minter"]
    old, new = corrected["values"]
    tail = f"/obs/{CORRECTED_LSOA}/2019/imd/population"
    population = URIRef(minter.measure("population"))
    for dataset, value in (
        (minter.edition("imd-lsoa", "2019"), old),
        (minter.revision("imd-lsoa", "2019", 2), new),
    ):
        graph = Graph().parse(dataset + tail)
        assert float(graph.value(URIRef(dataset + tail), population)) == value, dataset
    page = urllib.request.urlopen(minter.edition("imd-lsoa", "2019") + tail + ".html").read().decode()
    assert "was replaced" in page and minter.revision("imd-lsoa", "2019", 2) + tail in page


def test_latest_points_to_revision_2(corrected):
    minter = corrected["minter"]

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(minter.latest("imd-lsoa"))
    assert answer.value.code == 302
    assert answer.value.headers["Location"] == minter.revision("imd-lsoa", "2019", 2)


def test_both_revisions_downloads_resolve(corrected):
    minter = corrected["minter"]
    old_csv = urllib.request.urlopen(minter.download("imd-lsoa", "2019", "imd-lsoa-2019.csv")).read()
    new_csv = urllib.request.urlopen(minter.download("imd-lsoa", "2019", "imd-lsoa-2019.csv", 2)).read()
    assert old_csv != new_csv
    assert urllib.request.urlopen(minter.revision("imd-lsoa", "2019", 2) + ".csv").read() == new_csv


def sparql(minter, query: str, return_format) -> SPARQLWrapper:
    client = SPARQLWrapper(minter.sparql_endpoint)
    client.setQuery(query)
    client.setReturnFormat(return_format)
    client.setTimeout(30)
    return client


def test_sparqlwrapper_select_ask_construct_in_every_format(corrected):
    minter = corrected["minter"]
    old, new = corrected["values"]
    select_query = f"""SELECT ?value WHERE {{
        ?obs <http://purl.org/linked-data/sdmx/2009/dimension#refArea>
             <http://statistics.data.gov.uk/id/statistical-geography/{CORRECTED_LSOA}> ;
             <http://purl.org/linked-data/cube#measureType> <{minter.measure("population")}> ;
             <{minter.measure("population")}> ?value ;
             <{minter.dimension("imd-domain")}> <{minter.concept("imd", "imd")}> }}"""
    # The default graph holds the current revision only: one value, the corrected one.
    rows = sparql(minter, select_query, JSON).queryAndConvert()["results"]["bindings"]
    assert [float(r["value"]["value"]) for r in rows] == [new]
    xml = sparql(minter, select_query, XML).queryAndConvert()
    assert xml.getElementsByTagName("literal")[0].firstChild.data == f"{new:g}"
    for return_format in (CSV, TSV):
        text = sparql(minter, select_query, return_format).queryAndConvert().decode()
        assert text.splitlines()[0].strip().lstrip("?") == "value" and f"{new:g}" in text
    # Replaced revisions are named graphs: a query reaches the old value by naming its graph.
    old_graph = current_snapshot(corrected["settings"]).releases["imd-lsoa/2019"]["history"][0]["graph"]
    from_old = select_query.replace("WHERE", f"FROM <{old_graph}> WHERE", 1)
    rows = sparql(minter, from_old, JSON).queryAndConvert()["results"]["bindings"]
    assert [float(r["value"]["value"]) for r in rows] == [old]

    ask = f"ASK {{ ?s <{minter.measure('population')}> ?v FILTER(?v = {new:g}) }}"
    assert sparql(minter, ask, JSON).queryAndConvert()["boolean"] is True
    assert (
        sparql(minter, ask.replace(f"{new:g})", "-1)"), XML)
        .queryAndConvert()
        .getElementsByTagName("boolean")[0]
        .firstChild.data
        == "false"
    )

    construct = (
        f"CONSTRUCT {{ ?obs ?p ?o }} WHERE {{ ?obs <{minter.measure('population')}> ?v ; ?p ?o "
        f"FILTER(?v = {new:g}) }}"
    )
    graphs = {}
    for return_format in (TURTLE, N3, JSONLD, XML):
        result = sparql(minter, construct, return_format).queryAndConvert()
        graphs[return_format] = result if isinstance(result, Graph) else Graph().parse(data=result)
        assert len(graphs[return_format]) >= 8, return_format
    assert all(isomorphic(graphs[TURTLE], g) for g in graphs.values())


def test_the_feed_announces_the_correction_first_and_says_what_it_replaced(corrected):
    minter = corrected["minter"]
    revision_2, edition = minter.revision("imd-lsoa", "2019", 2), minter.edition("imd-lsoa", "2019")
    for url in (minter.feed(), minter.feed("imd-lsoa")):
        with urllib.request.urlopen(url) as response:
            assert response.headers["Content-Type"].startswith("application/atom+xml")
            feed = parsed_feed(response.read())
        assert [e.id for e in feed.entries] == [revision_2, edition]
        newer, older = feed.entries
        assert newer.title.endswith(", revision 2") and newer.link == revision_2
        assert "Revision 2 replaces revision 1" in newer.summary
        assert f"by {revision_2}" in older.summary and older.link == edition
