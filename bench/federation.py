"""Federation at national scale: a hub harvests a member that publishes every English LSOA.

The member is the national build in ./var (run `make build` first), served on its own base URI
(default http://127.0.0.1:8080/, which must be free). The hub harvests its imd-lsoa series, checks
each release, loads it and builds region and STP summaries over the member's LSOAs. With every LSOA
covered those summaries must equal the member's own imd-region/2019 and imd-stp/2019 (same method):
printed as the largest difference. Baseline in the same run: bare pyoxigraph parse of the same dump.
Usage: python bench/federation.py [--config localindex.toml]"""

from __future__ import annotations

import gzip
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.timing import national_build  # noqa: E402
from publisher.config import Settings  # noqa: E402
from publisher.hub.config import HubConfig  # noqa: E402
from publisher.hub.harvest import federate  # noqa: E402
from publisher.rdf.csvw import read_csvw_table  # noqa: E402
from publisher.store import current_snapshot  # noqa: E402
from tests.conftest import Server, settings_file  # noqa: E402
from tests.processes import free_port  # noqa: E402


def table(release: dict):
    return read_csvw_table(Path(release["dir"]) / f"{release['stem']}.csv-metadata.json")


def main() -> None:
    member, snapshot = national_build("imd-region/2019")
    port = int(member.base_uri.rstrip("/").rsplit(":", 1)[1])
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        server = Server(settings_file(root, var_dir=str(member.var_dir), base_uri=member.base_uri), port)
        try:
            hub_toml = root / "hub.toml"
            hub_toml.write_text(
                '[hub]\nid = "national"\ntitle = "National hub"\ntimeout_s = 120\nmax_download_mb = 2000\n'
                f'[[member]]\nid = "member"\nbase_uri = "{member.base_uri}"\nseries = ["imd-lsoa"]\n'
            )
            hub = Settings(
                var_dir=root / "hub" / "var",
                base_uri=f"http://127.0.0.1:{free_port()}/",
                definitions_base=member.definitions,
            )
            steps: list[tuple[float, str]] = []
            started = time.perf_counter()
            reports = federate(
                hub, HubConfig.load(hub_toml), lambda m: steps.append((time.perf_counter(), m))
            )
            elapsed = time.perf_counter() - started
        finally:
            server.stop()
        for report in reports:
            print(report.render())
        if any(r.status != "ok" for r in reports):
            sys.exit(
                "the harvest failed (see above): a member built by older software can fail the hub's checks"
            )
        print(f"harvest of the member's LSOA editions, checks, load and the hub's summaries: {elapsed:.1f} s")
        previous = started
        for moment, message in steps:
            if message.strip().startswith(("member:", "imd-", "published", "loading", "catalogue")):
                print(f"  +{moment - previous:6.1f} s  {message.strip()[:100]}")
                previous = moment

        dump = Path(snapshot.releases["imd-lsoa/2019"]["dir"]) / "imd-lsoa-2019.nt.gz"
        bare = time.perf_counter()
        with gzip.open(dump, "rb") as handle:
            ox.Store().bulk_load(handle, format=ox.RdfFormat.N_TRIPLES)
        seconds = time.perf_counter() - bare
        print(f"baseline: bare pyoxigraph in-memory load of imd-lsoa-2019.nt.gz: {seconds:.1f} s")

        hub_releases = current_snapshot(hub).releases
        for level in ("region", "stp"):
            ours = table(hub_releases[f"imd-{level}-members/2019"])
            theirs = table(snapshot.releases[f"imd-{level}/2019"])
            theirs = theirs[theirs["component"] == "imd"]
            merged = ours.merge(theirs, on=["area", "measure"], suffixes=("_hub", "_member"))
            merged = merged[
                merged["measure"].isin(["average-score", "average-rank", "proportion-most-deprived-10pc"])
            ]
            difference = (merged["value_hub"] - merged["value_member"]).abs().max()
            coverage = ours.loc[ours["measure"] == "population-coverage", "value"]
            print(
                f"{level}: {merged['area'].nunique()} areas; largest difference from the member's own "
                f"imd-{level}/2019: {difference:.2e}; "
                f"population coverage {coverage.min():.6f}..{coverage.max():.6f}"
            )


if __name__ == "__main__":
    main()
