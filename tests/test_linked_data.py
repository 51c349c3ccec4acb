"""Dereferencing every kind of URI localindex mints, in every format, over the small real-data build."""

from __future__ import annotations

import hashlib
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pyld import jsonld
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, PROV

from api import create_app
from api.pages import PREFIXES
from publisher.gate import check_shacl
from publisher.rdf.catalog import catalog_shapes
from publisher.rdf.uris import Minter
from publisher.store import current_snapshot, open_reader

RDF_TYPES = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
}
PARSERS = {"ttl": "turtle", "jsonld": "json-ld", "nt": "nt", "rdf": "xml"}
QB_OBSERVATION = "http://purl.org/linked-data/cube#Observation"


@pytest.fixture(scope="module")
def client(published):
    return create_app(published).test_client()


@pytest.fixture(scope="module")
def minter(published) -> Minter:
    return Minter(published.base_uri)


@pytest.fixture(scope="module")
def snapshot(published):
    return current_snapshot(published)


@pytest.fixture(scope="module")
def reader(published, snapshot):
    """The published store as the server reads it (pyoxigraph or the external SPARQL store)."""
    return open_reader(published, snapshot.path, [*snapshot.graphs, *snapshot.archived_graphs])


def first_subject(reader, prefix: str, rdf_type: str | None = None) -> str:
    """A real URI of each kind, found in the published store (not written down here)."""
    typed = f"?s a <{rdf_type}> ." if rdf_type else "?s ?p ?o ."
    rows = reader.select(f'SELECT ?s WHERE {{ {typed} FILTER(STRSTARTS(STR(?s), "{prefix}")) }} LIMIT 1')
    if not rows:
        raise AssertionError(f"nothing published under {prefix}")
    return rows[0]["s"].value


@pytest.fixture(scope="module")
def every_kind(reader, minter) -> dict[str, str]:
    base = minter.base
    edition = minter.edition("imd-lsoa", "2019")
    return {
        "series": minter.series("imd-lsoa"),
        "edition": edition,
        "derived edition": minter.edition("imd-ward", "2019"),
        "structure": minter.structure("imd-lsoa", "2019"),
        "component specification": first_subject(reader, edition + "/component/"),
        "area list": minter.area_list("imd-lsoa", "2019"),
        "observation": first_subject(reader, edition + "/obs/", QB_OBSERVATION),
        "SPI observation": first_subject(reader, minter.edition("spi-ward", "london-2019") + "/obs/"),
        "measure": minter.measure("average-score"),
        "dimension": minter.dimension("imd-domain"),
        "concept scheme": base + "def/concept-scheme/imd",
        "concept": first_subject(reader, base + "def/concept/imd/"),
        "method": minter.method("imd-area-summaries"),
        "method with parameters (hash terms)": minter.method("spi-london-v1"),
        "ontology term": minter.ontology("revision"),
        "build activity": first_subject(reader, base + "id/release/imd-lsoa/2019/"),
        "source file": first_subject(reader, base + "id/source/iod2019/"),
        "publisher": base + "id/publisher/localindex",
        "catalogue": minter.catalog,
    }


def get(client, minter, uri: str, accept: str | None = None, suffix: str | None = None):
    path = "/" + uri[len(minter.base) :] + (f".{suffix}" if suffix else "")
    return client.get(path, headers={"Accept": accept} if accept else {})


def parse(body: bytes, suffix: str, base: str) -> Graph:
    return Graph().parse(data=body, format=PARSERS[suffix], publicID=base)


def test_every_kind_of_uri_in_every_format_is_the_same_graph(client, minter, every_kind):
    for kind, uri in every_kind.items():
        graphs = {}
        for suffix, media_type in RDF_TYPES.items():
            for response in (get(client, minter, uri, media_type), get(client, minter, uri, suffix=suffix)):
                assert response.status_code == 200, (kind, uri, suffix, response.status_code)
                assert response.mimetype == media_type, (kind, uri, response.mimetype)
                assert response.headers["Vary"] == "Accept"
                assert f'<{uri}.ttl>; rel="alternate"; type="text/turtle"' in response.headers["Link"]
                graphs[suffix] = parse(response.data, suffix, uri)
        assert (URIRef(uri), None, None) in graphs["ttl"], f"{kind}: the description is about {uri}"
        assert isomorphic(graphs["ttl"], graphs["nt"]), kind
        assert isomorphic(graphs["ttl"], graphs["jsonld"]), kind
        assert isomorphic(graphs["ttl"], graphs["rdf"]), kind
        document = json.loads(get(client, minter, uri, suffix="jsonld").data)
        expanded = jsonld.expand(document)
        assert uri in {node.get("@id") for node in expanded}, kind
        # JSON that reads as JSON: a context, and property names compacted by it (rdflib and PyLD,
        # two JSON-LD processors, read it as the same graph as the Turtle above)
        assert document["@context"]["rdfs"] == "http://www.w3.org/2000/01/rdf-schema#", kind
        keys = {key for node in document["@graph"] for key in node}
        assert not any(key.startswith(tuple(PREFIXES.values())) for key in keys), (kind, sorted(keys))
        assert any(key.split(":")[0] in PREFIXES for key in keys), (kind, sorted(keys))
        assert isomorphic(graphs["ttl"], Graph().parse(data=json.dumps(expanded), format="json-ld")), kind
        page = get(client, minter, uri, "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
        assert page.status_code == 200 and page.mimetype == "text/html", kind
        same_page = get(client, minter, uri, suffix="html").data.replace(b' aria-current="page"', b"")
        assert same_page == page.data.replace(b' aria-current="page"', b"")


def test_suffix_overrides_accept_and_unknown_types_are_refused(client, minter, every_kind):
    observation = every_kind["observation"]
    response = get(client, minter, observation, "text/html", suffix="nt")
    assert response.mimetype == "application/n-triples"
    refused = get(client, minter, observation, "application/pdf")
    assert refused.status_code == 406 and b"text/turtle" in refused.data
    assert get(client, minter, observation, suffix="csv").status_code == 404  # CSV is for datasets
    assert get(client, minter, observation, "application/json").mimetype == "application/ld+json"


def test_dataset_csv_is_the_published_download(client, minter, snapshot):
    release = snapshot.releases["imd-ward/2019"]
    response = get(client, minter, release["dataset"], "text/csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data == (Path(release["dir"]) / "imd-ward-2019.csv").read_bytes()
    assert get(client, minter, release["dataset"], suffix="csv").data == response.data


def test_immutable_resources_have_strong_etags_and_answer_304(client, minter, every_kind):
    response = get(client, minter, every_kind["observation"], "text/turtle")
    etag = response.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    again = get(client, minter, every_kind["observation"] + ".ttl")
    assert again.headers["ETag"] == etag
    path = "/" + every_kind["observation"][len(minter.base) :]
    conditional = client.get(path, headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert conditional.status_code == 304 and conditional.data == b""
    # An edition's description also shows catalogue state (which revision is current): not immutable.
    edition = get(client, minter, every_kind["edition"], "text/turtle")
    assert "immutable" not in edition.headers["Cache-Control"]


def test_latest_redirects_to_the_newest_edition(client):
    response = client.get("/data/imd-lsoa/latest")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/data/imd-lsoa/2025")  # the newest edition
    assert client.get("/data/imd-lsoa/latest.ttl").headers["Location"].endswith("/data/imd-lsoa/2025.ttl")
    assert client.get("/data/imd-lsoa/2019/revision/1").headers["Location"].endswith("/data/imd-lsoa/2019")
    assert client.get("/data/no-such-series/latest").status_code == 404


def test_not_found_names_the_uri_and_links_the_nearest_resource(client, minter, every_kind):
    missing = every_kind["edition"] + "/obs/E01999999/2019/imd/score"
    response = get(client, minter, missing, "text/html")
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert missing in text
    assert f'href="{every_kind["edition"]}"' in text
    assert response.headers["Link"] == f'<{every_kind["edition"]}>; rel="up"'
    plain = get(client, minter, missing, "text/turtle")
    assert plain.status_code == 404 and every_kind["edition"].encode() in plain.data
    assert client.get("/def/measure/no-such-measure").status_code == 404


class CiteBoxes(HTMLParser):
    """Finds the "Cite this" heading, the stable URI link and the BibTeX <pre> in a page."""

    def __init__(self):
        super().__init__()
        self.headings, self.links, self.pres, self._tag = [], [], [], None

    def handle_starttag(self, tag, attrs):
        self._tag = tag
        if tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_data(self, data):
        if self._tag in ("h2", "h3") and data.strip():
            self.headings.append(data.strip())
        if self._tag == "pre" and data.strip():
            self.pres.append(data)


def test_dataset_area_and_observation_pages_have_a_cite_this_box(client, minter, every_kind):
    pages = {
        "dataset": (
            every_kind["derived edition"],
            get(client, minter, every_kind["derived edition"], "text/html"),
        ),
        "area": (None, client.get("/area/E05000026", headers={"Accept": "text/html"})),
        "observation": (
            every_kind["observation"],
            get(client, minter, every_kind["observation"], "text/html"),
        ),
    }
    for kind, (uri, response) in pages.items():
        assert response.status_code == 200, kind
        found = CiteBoxes()
        found.feed(response.get_data(as_text=True))
        assert "Cite this" in found.headings, kind
        assert any(p.lstrip().startswith("@misc{") for p in found.pres), kind
        if uri:
            assert uri in found.links, kind


def test_area_page_explains_ranks_in_words(client):
    text = client.get("/area/E01000027").get_data(as_text=True)
    assert "Barking and Dagenham 001A" in text
    assert "of 32,844 (rank 1 = most deprived)" in text
    assert "decile 1 = the most deprived tenth of areas" in text
    assert client.get("/area/E99999999").status_code == 404
    assert client.get("/area/..%2fetc").status_code == 404


def test_cors_on_pages_api_sparql_and_downloads(client, minter, every_kind):
    for path in (
        "/",
        "/" + every_kind["observation"][len(minter.base) :],
        "/api/v1/datasets",
        "/sparql?query=ASK%7B%7D",
        "/downloads/imd-lsoa/2019/imd-lsoa-2019.csv",
        "/catalog",
    ):
        assert client.get(path).headers["Access-Control-Allow-Origin"] == "*", path


def test_catalogue_passes_its_shapes_and_the_shapes_catch_gaps(client, minter, snapshot):
    catalog = parse(client.get("/catalog.ttl").data, "ttl", minter.catalog)
    data = Graph() + catalog
    for release in snapshot.releases.values():
        data.parse(Path(release["dir"]) / f"{release['stem']}-metadata.ttl", format="turtle")
    shapes = catalog_shapes(minter.base)
    assert check_shacl(data, shapes) == []
    broken = Graph() + data
    dataset = URIRef(snapshot.releases["imd-ward/2019"]["dataset"])
    broken.remove((dataset, DCTERMS.license, None))
    activity = broken.value(dataset, PROV.wasGeneratedBy)
    broken.remove((activity, PROV.endedAtTime, None))
    rules = {(f.rule, f.message) for f in check_shacl(broken, shapes)}
    assert ("CAT-4", "a dataset has one licence IRI") in rules
    assert ("CAT-5", "a build has one end time") in rules


def test_void_counts_are_the_triples_in_the_store(client, minter, snapshot, reader):
    void = parse(client.get("/.well-known/void.ttl").data, "ttl", minter.void)
    triples = URIRef("http://rdfs.org/ns/void#triples")
    for release in snapshot.releases.values():
        stated = int(void.value(URIRef(release["dataset"]), triples))
        held = reader.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{release['graph']}> {{ ?s ?p ?o }} }}")
        assert stated == int(held[0]["n"].value), release["dataset"]


def test_provenance_records_sources_with_their_checksums(snapshot, published):
    release = snapshot.releases["imd-ward/2019"]
    metadata = Graph().parse(Path(release["dir"]) / "imd-ward-2019-metadata.ttl", format="turtle")
    dataset = URIRef(release["dataset"])
    assert (dataset, PROV.wasDerivedFrom, URIRef(snapshot.releases["imd-lsoa/2019"]["dataset"])) in metadata
    activity = metadata.value(dataset, PROV.wasGeneratedBy)
    assert metadata.value(activity, PROV.startedAtTime) <= metadata.value(activity, PROV.endedAtTime)
    spdx = "http://spdx.org/rdf/terms#"
    data_dir = published.datasets_file.parent
    checked = 0
    for usage in metadata.objects(activity, PROV.qualifiedUsage):
        entity = str(metadata.value(usage, PROV.entity))
        checksum = metadata.value(
            metadata.value(usage, URIRef(spdx + "checksum")), URIRef(spdx + "checksumValue")
        )
        relative = entity.split("/id/source/", 1)[1]
        assert str(checksum) == hashlib.sha256((data_dir / relative).read_bytes()).hexdigest(), relative
        checked += 1
    assert checked >= 4


def test_the_examples_on_a_dataset_page_work(client, minter, every_kind):
    page = CiteBoxes()
    page.feed(get(client, minter, every_kind["derived edition"], "text/html").get_data(as_text=True))
    tried = 0
    for href in page.links:
        if not href or not href.startswith((minter.sparql_endpoint + "?", minter.rest_api + "/")):
            continue
        response = client.get("/" + href[len(minter.base) :])
        assert response.status_code == 200, href
        if "sparql" in href:
            lines = response.get_data(as_text=True).splitlines()
            assert lines[0] == "area,component,measure,value" and len(lines) == 11, href
        else:
            assert len(response.get_json()["observations"]) == 10, href
        tried += 1
    assert tried == 2
