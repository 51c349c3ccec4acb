"""End-to-end national build benchmark: everything `make build` publishes (every bundled dataset: both
IoD editions at LSOA, every derived level, the SPIs; then the two sample submissions) from a clean
var/, in a child process: wall time, observations, triples/s and peak RSS. In the same run, against
the same data:
(0) a bare pyoxigraph bulk load of the same triples into a new on-disk store (from uncompressed
    N-Triples, in a child process: wall time and peak RSS), the floor the build is held to (≤ 2x);
(a) a bare pyoxigraph streaming parse + serialisation of the same triples, the ceiling for this stack;
(b) the N-Triples of a 100k-observation slice of imd-lsoa/2019 built with an rdflib Graph, against
    localindex's streaming writer; and the slice loaded by rdflib's parser, against pyoxigraph's;
(c) `csvcubed build` (in its own virtual environment) on imd-lsoa/2019's tidy table, against
    localindex's CSVW step alone (publisher.rdf.csvw.write_csvw) on the same table.
Ratios are printed; figures go to bench/RESULTS.md.
Usage: python bench/build.py [--keep DIR] [--store virtuoso] (the build's store: embedded by default);
python bench/build.py --without-build VAR (only (a)-(c))"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import rdflib

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.sparql import SLICE_AREAS, slice_ntriples  # noqa: E402
from bench.timing import load_average, measured, peer_venv, peer_version, timed  # noqa: E402
from publisher.build import build_all  # noqa: E402
from publisher.compute.indices import builder  # noqa: E402
from publisher.config import Settings  # noqa: E402
from publisher.inputs.datasets import DatasetSpec, all_datasets, select  # noqa: E402
from publisher.inputs.submission.ingest import ingest  # noqa: E402
from publisher.paths import DATA_DIR  # noqa: E402
from publisher.rdf.csvw import write_csvw  # noqa: E402
from publisher.rdf.cube import CubeShape, observation_ntriples  # noqa: E402
from publisher.rdf.uris import Minter  # noqa: E402
from publisher.store import Registry, serving  # noqa: E402
from tests.processes import free_port  # noqa: E402

SAMPLES = (("lbbd-spi-2018", "lbbd"), ("hackney-wards-2019", "hackney"))  # as `make build` ingests them
REPEATS = 3  # for (b) and (c); the build itself runs once
CSVCUBED_COLUMNS = {"area": "Area", "period": "Period", "component": "Component", "measure": "Measure"}
CSVCUBED_COLUMNS |= {"unit": "Unit", "value": "Observation", "status": "Status"}  # its naming conventions
QUBE_CONFIG = {
    "$schema": "https://purl.org/csv-cubed/qube-config/v1",
    "title": "English Indices of Deprivation 2019, LSOA",
    "columns": {
        "Area": {"from_template": "statistical-geography"},  # refArea as ONS URIs, as localindex mints
        "Period": {"type": "dimension"},
        "Component": {"type": "dimension"},
        "Measure": {"type": "measures"},
        "Unit": {"type": "units"},
        "Observation": {"type": "observations", "data_type": "decimal"},
        "Status": {"from_template": "observation-status"},  # explains the empty (missing) values
    },
}


def build_everything(var: Path, store: str) -> dict:
    """What `make build` does, into ``var`` and the given store: seconds per bundled dataset and per
    sample submission, and the peak RSS of a Virtuoso the build ran (run in the child process;
    progress goes to stderr)."""
    ports = {"virtuoso_http_port": free_port(), "virtuoso_sql_port": free_port()}
    settings = Settings(var_dir=var, store=store, **(ports if store == "virtuoso" else {}))

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    seconds, failed = {}, []
    with serving(settings) as server:  # one Virtuoso for the whole run, as a server beside builds
        outcomes = build_all(settings, all_datasets(settings), progress=say)
        failed = [o.dataset for o in outcomes if o.status != "published"]
        seconds = {o.dataset: o.timings for o in outcomes}
        for sample, publisher in SAMPLES:
            started = time.perf_counter()
            result = ingest(DATA_DIR / "submissions" / sample, publisher, settings, progress=say)
            if result.status != "published":
                failed.append(sample)
            seconds[result.dataset] = {"ingest": time.perf_counter() - started}
        virtuoso_peak = _peak_mb(server.process.pid) if server is not None and server.process else None
    if failed:
        sys.exit(f"not published: {', '.join(failed)}")
    return {"seconds": seconds, "virtuoso_peak_mb": virtuoso_peak}


def _peak_mb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) // 1024 for line in status.splitlines() if line.startswith("VmHWM:"))


def bare_pyoxigraph_rate(path: Path) -> tuple[int, float]:
    """Parse the release's N-Triples and stream them through pyoxigraph's serializer to nowhere."""

    class Sink:
        def write(self, data: bytes) -> int:
            return len(data)

        def flush(self) -> None:
            pass

    count = 0

    def triples():
        nonlocal count
        with gzip.open(path, "rb") as handle:
            for triple in ox.parse(handle, format=ox.RdfFormat.N_TRIPLES):
                count += 1
                yield triple

    started = time.perf_counter()
    ox.serialize(triples(), Sink(), format=ox.RdfFormat.N_TRIPLES)
    return count, time.perf_counter() - started


def bulk_load_everything(store_dir: str, files: list[list[str]]) -> dict:
    """(0), in the child process: bulk-load each (graph, N-Triples file) into a new on-disk store."""
    store = ox.Store(store_dir)
    for graph, path in files:
        store.bulk_load(path=path, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
    store.flush()
    return {"graphs": len(files)}


def bare_bulk_load(releases: dict, scratch: Path) -> dict:
    """(0) The same release files, decompressed (untimed), bulk-loaded by pyoxigraph alone."""
    plain = scratch / "plain"
    plain.mkdir()
    files = []
    for record in releases.values():
        target = plain / f"{record['stem']}-{record['key'][:8]}.nt"
        with (
            gzip.open(Path(record["dir"]) / f"{record['stem']}.nt.gz", "rb") as source,
            target.open("wb") as out,
        ):
            while block := source.read(1 << 22):
                out.write(block)
        files.append([record["graph"], str(target)])
    code = (
        "import json\nfrom bench.build import bulk_load_everything",
        "result = bulk_load_everything(sys.argv[1], json.loads(sys.argv[2]))",
    )
    run = measured(*code, str(scratch / "bulk-store"), json.dumps(files))
    for _, path in files:
        Path(path).unlink()
    return run


def ceiling(releases: dict) -> float:
    """(a) Triples/s of the bare pyoxigraph stream over every published release file."""
    load = load_average()
    count, seconds = 0, 0.0
    for record in releases.values():
        n, s = bare_pyoxigraph_rate(Path(record["dir"]) / f"{record['stem']}.nt.gz")
        count, seconds = count + n, seconds + s
    print(
        f"(a) bare pyoxigraph stream: {count:,} triples in {seconds:.1f} s [load {load} -> {load_average()}]"
    )
    return count / seconds


@dataclass
class LsoaEdition:
    """imd-lsoa/2019 as the build makes it: its tidy table and what turns it into RDF and CSVW."""

    spec: DatasetSpec
    minter: Minter
    table: pd.DataFrame
    shape: CubeShape
    names: pd.Series  # area code → name, as the CSV carries them

    @classmethod
    def of(cls, settings: Settings) -> LsoaEdition:
        spec = select(all_datasets(settings), ["imd-lsoa/2019"])[0]
        minter = Minter.of(settings)
        built = builder(spec.builder)(spec, minter)
        shape = CubeShape.of(spec, minter, built.component_dimension, 1, built.vocabulary)
        return cls(spec, minter, built.table, shape, built.areas.set_index("code")["name"])


def rdflib_slice(edition: LsoaEdition, release_dir: Path) -> None:
    """(b) The observations of the first SLICE_AREAS LSOAs built as N-Triples two ways: localindex's
    streaming writer from the tidy table, and an rdflib Graph (each triple added from its values,
    then serialised), as Python RDF tools build a cube. Plus loading the slice: rdflib's parser
    against pyoxigraph's."""
    areas = sorted(edition.table["area"].unique())[:SLICE_AREAS]
    table = edition.table[edition.table["area"].isin(areas)].reset_index(drop=True)
    text = b"".join(observation_ntriples(table, edition.shape, edition.minter))
    values = [  # untimed: the values rdflib is given, as plain strings
        tuple(
            (t.value, t.datatype.value if isinstance(t, ox.Literal) else None)
            for t in (quad.subject, quad.predicate, quad.object)
        )
        for quad in ox.parse(text, format=ox.RdfFormat.N_TRIPLES)
    ]

    def with_rdflib() -> bytes:
        graph = rdflib.Graph()
        for (s, _), (p, _), (o, datatype) in values:
            obj = (
                rdflib.URIRef(o) if datatype is None else rdflib.Literal(o, datatype=rdflib.URIRef(datatype))
            )
            graph.add((rdflib.URIRef(s), rdflib.URIRef(p), obj))
        return graph.serialize(format="nt", encoding="utf-8")

    load = load_average()
    ours_ms, _ = timed(lambda: b"".join(observation_ntriples(table, edition.shape, edition.minter)), REPEATS)
    rdflib_ms, _ = timed(with_rdflib, REPEATS)
    print(
        f"(b) slice: the first {SLICE_AREAS:,} LSOAs of imd-lsoa/2019, {len(table):,} observations, "
        f"{len(values):,} triples; median of {REPEATS} [load {load} -> {load_average()}]"
    )
    for what, ms in (("localindex writer", ours_ms), ("rdflib Graph build + serialise", rdflib_ms)):
        print(f"    {what:31s} {ms / 1000:6.2f} s {len(values) / ms * 1000:10,.0f} triples/s")
    print(f"    rdflib / localindex time:       {rdflib_ms / ours_ms:.1f}x")

    data = slice_ntriples(release_dir)  # with the release's metadata and area list, as bench/sparql.py
    triples = data.count(b"\n")
    parse_ms, _ = timed(lambda: rdflib.Graph().parse(data=data, format="nt"), REPEATS)
    load_ms, _ = timed(lambda: ox.Store().load(data, format=ox.RdfFormat.N_TRIPLES), REPEATS)
    print(f"    loading the slice's {triples:,} triples (with metadata and area list):")
    for what, ms in (("rdflib Graph parse", parse_ms), ("pyoxigraph in-memory load", load_ms)):
        print(f"    {what:31s} {ms / 1000:6.2f} s {triples / ms * 1000:10,.0f} triples/s")
    print(f"    rdflib / pyoxigraph time:       {parse_ms / load_ms:.1f}x")


def megabytes(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.iterdir()) / 1e6


def csvw_against_csvcubed(edition: LsoaEdition, folder: Path) -> None:
    """(c) localindex's CSVW step alone, in process, against `csvcubed build` on the same tidy table
    written as CSV (untimed); csvcubed's time includes starting its interpreter."""
    bin_dir = peer_venv("csvcubed", "csvcubed>=0.5,<0.6")
    table, spec, shape, minter = edition.table, edition.spec, edition.shape, edition.minter
    ours, theirs = folder / "localindex", folder / "csvcubed"
    ours.mkdir()
    tidy = folder / "imd-lsoa-2019-tidy.csv"
    table.rename(columns=CSVCUBED_COLUMNS)[list(CSVCUBED_COLUMNS.values())].to_csv(tidy, index=False)
    config = folder / "qube-config.json"
    config.write_text(json.dumps(QUBE_CONFIG, indent=2))
    command = [str(bin_dir / "csvcubed"), "build", str(tidy), "-c", str(config), "-o", str(theirs)]

    load = load_average()
    ours_ms, _ = timed(
        lambda: write_csvw(table, edition.names, spec, shape, minter, ours, "imd-lsoa-2019"), REPEATS
    )
    theirs_ms, _ = timed(lambda: subprocess.run(command, check=True, capture_output=True), REPEATS)
    print(
        f"(c) imd-lsoa/2019 tidy table, {len(table):,} observations "
        f"({(table['status'] != '').sum():,} missing, with a status); median of {REPEATS} "
        f"[load {load} -> {load_average()}]"
    )
    print(f"    localindex CSVW step (write_csvw):  {ours_ms / 1000:6.1f} s, writes {megabytes(ours):.0f} MB")
    print(
        f"    csvcubed {peer_version(bin_dir, 'csvcubed')} build:              {theirs_ms / 1000:6.1f} s, "
        f"writes {megabytes(theirs):.0f} MB"
    )
    print(f"    csvcubed / localindex time:         {theirs_ms / ours_ms:.1f}x")


def report_build(run: dict, releases: dict) -> float:
    """Print the build's figures; return its writer's rate (triples/s of the "RDF written" steps)."""
    wall, timings = run["seconds"], run["result"]
    observations = sum(r["observations"] for r in releases.values())
    triples = sum(r["triples"] for r in releases.values())
    writing = {n: v for n, steps in timings.items() for k, v in steps.items() if k.startswith("RDF")}
    writer_rate = sum(releases[n]["triples"] for n in writing) / sum(writing.values())
    print(f"datasets ({len(releases)}), seconds of the steps the build times:")
    for name, r in releases.items():
        seconds = sum(timings[name].values())
        print(f"  {name:26s} {r['observations']:>10,} obs {r['triples']:>11,} triples {seconds:6.1f} s")
    print(f"wall time:                {wall:.1f} s (clean var/: builds, gate, files, store load, snapshots)")
    print(f"observations:             {observations:,}")
    print(f"triples:                  {triples:,}")
    print(f"end-to-end rate:          {triples / wall:,.0f} triples/s")
    print(f"our N-Triples writer:     {writer_rate:,.0f} triples/s (bundled datasets)")
    print(f"peak RSS:                 {run['peak']:,} MB (VmHWM of the build's process)")
    return writer_rate


def comparisons(
    settings: Settings, scratch: Path, writer_rate: float | None, wall_rate: float | None
) -> None:
    """(a), (b) and (c) over the releases of ``settings``; ratios to the build's own rates when given."""
    releases = Registry(settings).releases
    rate = ceiling(releases)
    if writer_rate and wall_rate:
        print(
            f"    {rate:,.0f} triples/s; writer / ceiling {writer_rate / rate:.2f}x, end to end / ceiling "
            f"{wall_rate / rate:.3f}x"
        )
    else:
        print(f"    {rate:,.0f} triples/s")
    edition = LsoaEdition.of(settings)
    rdflib_slice(edition, Path(releases["imd-lsoa/2019"]["dir"]))
    csvw_against_csvcubed(edition, scratch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", type=Path, help="build into this var/ directory and keep it")
    parser.add_argument(
        "--without-build", type=Path, metavar="VAR", help="only (a)-(c), over this built var/"
    )
    parser.add_argument(
        "--store", choices=["embedded", "virtuoso"], default="embedded", help="where the build loads"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="localindex-bench-") as scratch:
        if args.without_build:
            comparisons(Settings(var_dir=args.without_build.resolve()), Path(scratch), None, None)
            return
        var = (args.keep or Path(scratch) / "var").resolve()
        if var.exists():
            sys.exit(f"{var} exists: the benchmark builds from a clean var/")
        load = load_average()
        code = (
            "from pathlib import Path\nfrom bench.build import build_everything",
            "result = build_everything(Path(sys.argv[1]), sys.argv[2])",
        )
        run = measured(*code, str(var), args.store)
        if run["result"]["virtuoso_peak_mb"] is not None:
            print(f"Virtuoso (a process of its own) peaked at {run['result']['virtuoso_peak_mb']:,} MB")
        run["result"] = run["result"]["seconds"]
        print(f"\n== localindex build benchmark == [load {load} -> {load_average()}]")
        settings = Settings(var_dir=var)
        releases = Registry(settings).releases
        writer_rate = report_build(run, releases)
        wall_rate = sum(r["triples"] for r in releases.values()) / run["seconds"]
        load = load_average()
        bulk = bare_bulk_load(releases, Path(scratch))
        triples = sum(r["triples"] for r in releases.values())
        print(
            f"(0) bare pyoxigraph bulk load of the same {triples:,} triples: {bulk['seconds']:.1f} s, "
            f"peak RSS {bulk['peak']:,} MB [load {load} -> {load_average()}]"
        )
        print(f"    build / bare bulk load: {run['seconds'] / bulk['seconds']:.2f}x (target <= 2.0)")
        comparisons(settings, Path(scratch), writer_rate, wall_rate)


if __name__ == "__main__":
    main()
