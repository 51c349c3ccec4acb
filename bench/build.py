"""End-to-end national build benchmark: wall time, observations, triples/s and peak RSS, and in the
same run the rate of a bare pyoxigraph streaming serialisation of the same triples (the ceiling for
this stack), printed as a ratio. Usage: python bench/build.py [--keep DIR]"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from publisher.build import build_all  # noqa: E402
from publisher.config import Settings  # noqa: E402
from publisher.datasets import load_datasets  # noqa: E402


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", type=Path, help="build into this var/ directory and keep it")
    args = parser.parse_args()
    var = args.keep or Path(tempfile.mkdtemp(prefix="localindex-bench-")) / "var"
    settings = Settings(var_dir=var)
    specs = load_datasets(settings.datasets_file)

    started = time.perf_counter()
    outcomes = build_all(settings, specs, progress=print)
    wall = time.perf_counter() - started
    rss = peak_rss_mb()
    observations = sum(o.observations for o in outcomes)
    triples = sum(o.triples for o in outcomes)
    write_seconds = sum(v for o in outcomes for k, v in o.timings.items() if k.startswith("RDF written"))

    ceiling_triples, ceiling_seconds = 0, 0.0
    for outcome in outcomes:
        n, seconds = bare_pyoxigraph_rate(outcome.release_dir / f"{outcome.dataset.replace('/', '-')}.nt.gz")
        ceiling_triples, ceiling_seconds = ceiling_triples + n, ceiling_seconds + seconds

    figures = {
        "datasets": {o.dataset: {k: round(v, 2) for k, v in o.timings.items()} for o in outcomes},
        "wall_s": round(wall, 1),
        "observations": observations,
        "triples": triples,
        "end_to_end_triples_per_s": round(triples / wall),
        "writer_triples_per_s": round(triples / write_seconds),
        "bare_pyoxigraph_parse_and_serialise_triples_per_s": round(ceiling_triples / ceiling_seconds),
        "peak_rss_mb": round(rss),
    }
    print("\n== localindex build benchmark ==")
    print(f"datasets:                 {', '.join(o.dataset for o in outcomes)}")
    print(f"wall time:                {wall:.1f} s (clean var/, build + validate + load + snapshot)")
    print(f"observations:             {observations:,}")
    print(f"triples:                  {triples:,}")
    print(f"end-to-end rate:          {triples / wall:,.0f} triples/s")
    print(f"our N-Triples writer:     {triples / write_seconds:,.0f} triples/s")
    print(f"bare pyoxigraph stream:   {ceiling_triples / ceiling_seconds:,.0f} triples/s (parse + serialise)")
    print(f"writer / pyoxigraph:      {(triples / write_seconds) / (ceiling_triples / ceiling_seconds):.2f}x")
    print(f"end-to-end / pyoxigraph:  {(triples / wall) / (ceiling_triples / ceiling_seconds):.3f}x")
    print(f"peak RSS:                 {rss:,.0f} MB")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
