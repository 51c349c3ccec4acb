"""SPARQL latency benchmark: median latency of three typical queries on the published national store
(pyoxigraph on disk, as the server runs them), and the same queries on a 100k-observation slice in
rdflib's in-memory engine and in pyoxigraph's, printing the ratio.
Usage: python bench/sparql.py [VAR_DIR]   (default: var/ of localindex.toml; run `make build` first)"""

from __future__ import annotations

import gzip
import statistics
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import rdflib

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from publisher.config import Settings, load_settings  # noqa: E402
from publisher.store import current_snapshot  # noqa: E402

BASE = "http://127.0.0.1:8080/"
QB = "http://purl.org/linked-data/cube#"
AREAS: list[str] = []  # five LSOAs spread through the slice, chosen when it is made
DISTRICT = "E09000002"  # Barking and Dagenham: 110 LSOAs
SLICE_AREAS = 2_500  # x 40 observations per LSOA in 2019 = 100,000 observations


def queries(area: str) -> dict[str, str]:
    return {
        "all observations of one LSOA": f"""
            SELECT ?o ?component ?measure ?value WHERE {{
              ?o <http://purl.org/linked-data/sdmx/2009/dimension#refArea>
                   <http://statistics.data.gov.uk/id/statistical-geography/{area}> ;
                 <{BASE}def/dimension/imd-domain> ?component ; <{QB}measureType> ?measure .
              OPTIONAL {{ ?o ?measure ?value }}
            }} ORDER BY ?o""",
        "IMD score of every LSOA in one district": f"""
            SELECT ?area ?score WHERE {{
              ?area <http://publishmydata.com/def/ontology/foi/within>
                    <http://statistics.data.gov.uk/id/statistical-geography/{DISTRICT}> .
              ?o <http://purl.org/linked-data/sdmx/2009/dimension#refArea> ?area ;
                 <{QB}dataSet> <{BASE}data/imd-lsoa/2019> ;
                 <{BASE}def/dimension/imd-domain> <{BASE}def/concept/imd/imd> ;
                 <{BASE}def/measure/score> ?score .
            }} ORDER BY ?area""",
        "observation count per measure": f"""
            SELECT ?measure (COUNT(?o) AS ?n) WHERE {{ ?o <{QB}measureType> ?measure }} GROUP BY ?measure""",
    }


def median_ms(run, repeats: int) -> tuple[float, int]:
    times, rows = [], 0
    for i in range(repeats):
        started = time.perf_counter()
        rows = run(AREAS[i % len(AREAS)])
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), rows


def slice_ntriples(release_dir: Path) -> bytes:
    """Metadata, area list and every observation of the first SLICE_AREAS LSOAs of the 2019 release."""
    with gzip.open(release_dir / "imd-lsoa-2019.nt.gz", "rt") as handle:
        lines = handle.readlines()
    areas = sorted({line.split("/obs/", 1)[1].split("/", 1)[0] for line in lines if "/obs/" in line[:90]})
    keep = set(areas[:SLICE_AREAS])
    AREAS[:] = areas[: SLICE_AREAS : SLICE_AREAS // 5]
    chosen = [x for x in lines if "/obs/" not in x[:90] or x.split("/obs/", 1)[1].split("/", 1)[0] in keep]
    return "".join(chosen).encode()


def main() -> None:
    settings = Settings(var_dir=Path(sys.argv[1])) if len(sys.argv) > 1 else load_settings()
    snapshot = current_snapshot(settings)
    if snapshot is None:
        sys.exit(f"nothing published under {settings.var_dir}: run `make build` first")
    disk = ox.Store.read_only(str(snapshot.path))
    graphs = [ox.NamedNode(g) for g in snapshot.graphs]

    data = slice_ntriples(Path(snapshot.releases["imd-lsoa/2019"]["dir"]))
    memory = ox.Store()
    memory.load(data, format=ox.RdfFormat.N_TRIPLES)
    graph = rdflib.Graph()
    started = time.perf_counter()
    graph.parse(data=data, format="nt")
    rdflib_load = time.perf_counter() - started
    observations = sum(1 for _ in graph.subjects(rdflib.RDF.type, rdflib.URIRef(QB + "Observation")))

    print(
        f"national store: {snapshot.path} ({sum(r['triples'] for r in snapshot.releases.values()):,} triples)"
    )
    print(
        f"slice: {observations:,} observations, {len(graph):,} triples (rdflib parse {rdflib_load:.1f} s)\n"
    )
    columns = ("query", "national, disk", "slice, pyoxigraph", "slice, rdflib", "rdflib/oxigraph")
    print(f"{columns[0]:42s} {columns[1]:>15s} {columns[2]:>18s} {columns[3]:>14s} {columns[4]:>16s}")
    engines = {
        "national": (lambda text: disk.query(text, default_graph=graphs), 5),
        "oxigraph": (memory.query, 5),
        "rdflib": (graph.query, 5),
    }
    for name in queries(AREAS[0]):
        timed = {}
        for engine, (execute, repeats) in engines.items():
            timed[engine] = median_ms(
                lambda area, run=execute, q=name: len(list(run(queries(area)[q]))), repeats
            )
        (national, rows), (ox_ms, ox_rows), (rd_ms, rd_rows) = timed.values()
        assert ox_rows == rd_rows, (name, ox_rows, rd_rows)
        print(
            f"{name:42s} {national:12.1f} ms {ox_ms:15.1f} ms {rd_ms:11.1f} ms {rd_ms / ox_ms:15.1f}x"
            f"   ({rows} rows national, {ox_rows} on the slice)"
        )


if __name__ == "__main__":
    main()
