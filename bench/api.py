"""REST API benchmark over a built var/ (run `make build` first): GET /api/v1/aggregate to each level,
POST /api/v1/aggregate with 1,000 LSOAs, and a filtered observations page, in process (Flask test
client, no network). Baseline in the same run: the same posted-list average score as one SPARQL
query over the published store. Prints medians, p95 and the ratio; figures go to bench/RESULTS.md.
Usage: python bench/api.py [--config localindex.toml]"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api import create_app  # noqa: E402
from bench.timing import national_build, timed  # noqa: E402

POSTED = 1000


def report(what: str, median: float, p95: float) -> None:
    print(f"{what:58s} {median:9.1f} ms {p95:9.1f} ms")


def main() -> None:
    settings, snapshot = national_build("imd-lsoa/2019")
    client = create_app(settings).test_client()

    def ok(response):
        assert response.status_code == 200, response.get_json()
        return response

    started = time.perf_counter()
    ok(client.get("/api/v1/aggregate?dataset=imd-lsoa/2019&level=lad"))
    loaded = time.perf_counter() - started
    print(f"first request (loads imd-lsoa/2019 and imd-lad/2019 into memory): {loaded:.1f} s")
    print(f"{'request':58s} {'median':>12s} {'p95':>12s}")
    for level in ("ward", "lad", "region", "stp"):
        url = f"/api/v1/aggregate?dataset=imd-lsoa/2019&level={level}&component=imd&measure=average-score"
        ok(client.get(url))
        report(f"GET aggregate level={level} (precomputed)", *timed(lambda u=url: ok(client.get(u)), 30))
    url = "/api/v1/aggregate?dataset=imd-ward/2019&level=lad&component=imd&measure=average-score"
    ok(client.get(url))
    report("GET aggregate imd-ward/2019 to lad (by declared rule)", *timed(lambda: ok(client.get(url)), 30))

    table = client.application.extensions["localindex_tables"].dataset("imd-lsoa/2019")
    all_lsoas = np.array(sorted(table.table["area"].cat.categories))
    posted = sorted(np.random.default_rng(20261121).choice(all_lsoas, POSTED, replace=False).tolist())
    body = {"dataset": "imd-lsoa/2019", "areas": posted}
    one = {**body, "component": "imd"}
    ok(client.post("/api/v1/aggregate", json=body))
    report(
        f"POST aggregate {POSTED:,} LSOAs, all 10 indices",
        *timed(lambda: ok(client.post("/api/v1/aggregate", json=body)), 50),
    )
    rest_median, rest_p95 = timed(lambda: ok(client.post("/api/v1/aggregate", json=one)), 50)
    report(f"POST aggregate {POSTED:,} LSOAs, IMD only", rest_median, rest_p95)
    url = "/api/v1/observations?dataset=imd-lsoa/2019&within=E09000002&component=imd&per_page=1000"
    report("GET observations within a district (440 rows)", *timed(lambda: ok(client.get(url)), 30))

    store = ox.Store.read_only(str(snapshot.path))
    values = " ".join(f"<http://statistics.data.gov.uk/id/statistical-geography/{c}>" for c in posted)
    query = (Path(__file__).with_name("posted-average.rq")).read_text().replace("?areas", values)
    sparql_median, sparql_p95 = timed(lambda: list(store.query(query, base_iri=settings.base_uri)), 10)
    report(
        f"baseline: SPARQL average score of the {POSTED:,} LSOAs (store on disk)", sparql_median, sparql_p95
    )
    print(f"ratio SPARQL / REST (IMD only, medians): {sparql_median / rest_median:.1f}x")
    dereferencing(client, store, snapshot)


def dereferencing(client, store: ox.Store, snapshot) -> None:
    """Linked-data lookups, with the bare store lookup and serialisation of one observation as the
    ceiling in the same run."""
    release = snapshot.releases["imd-lsoa/2019"]
    observation = f"{release['dataset']}/obs/E01000027/2019/imd/score"
    base = observation.split("/data/", 1)[0]

    def path(uri: str) -> str:
        return uri[len(base) :]

    pages = [
        ("observation, Turtle", path(observation), "text/turtle"),
        ("observation, HTML page", path(observation), "text/html"),
        ("edition imd-lsoa/2019, JSON-LD", path(release["dataset"]), "application/ld+json"),
        ("edition imd-lsoa/2019, HTML page", path(release["dataset"]), "text/html"),
        ("area page, an LSOA (every dataset at its level)", "/area/E01000027", "text/html"),
        ("catalogue, Turtle", "/catalog", "text/turtle"),
    ]
    for what, url, accept in pages:
        headers = {"Accept": accept}
        assert client.get(url, headers=headers).status_code == 200, url
        report(f"GET {what}", *timed(lambda u=url, h=headers: client.get(u, headers=h), 30))

    def bare():
        triples = [
            ox.Triple(q.subject, q.predicate, q.object)
            for q in store.quads_for_pattern(ox.NamedNode(observation), None, None)
        ]
        return ox.serialize(triples, format=ox.RdfFormat.TURTLE)

    bare_median, bare_p95 = timed(bare, 30)
    report("baseline: bare pyoxigraph lookup + Turtle of the observation", bare_median, bare_p95)
    served, _ = timed(lambda: client.get(path(observation), headers={"Accept": "text/turtle"}), 30)
    print(f"ratio served / bare (observation Turtle, medians): {served / bare_median:.1f}x")


if __name__ == "__main__":
    main()
