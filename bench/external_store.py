"""Loading into the external store (Virtuoso on 127.0.0.1) through the Graph Store Protocol.

Loads the published imd-lsoa/2015 release (and, with --national, imd-lsoa/2019) of a built var/
as a build would, and prints triples/s; see bench/RESULTS.md.
Usage: python bench/external_store.py [VAR_DIR] [--national]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from publisher.config import Settings, load_settings  # noqa: E402
from publisher.store import current_snapshot  # noqa: E402
from publisher.store.remote import GraphStore, RemoteReader, ntriples_chunks  # noqa: E402
from tests.processes import free_port  # noqa: E402
from tests.virtuoso import Virtuoso  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("var_dir", nargs="?", type=Path, default=None)
    parser.add_argument("--national", action="store_true", help="also load imd-lsoa/2019 (10.6 M triples)")
    arguments = parser.parse_args()
    embedded = load_settings(var_dir=arguments.var_dir)
    snapshot = current_snapshot(embedded)
    names = ["imd-lsoa/2015"] + (["imd-lsoa/2019"] if arguments.national else [])
    with tempfile.TemporaryDirectory() as scratch:
        virtuoso = Virtuoso(Path(scratch) / "virtuoso", free_port(), free_port(), query_seconds=600)
        try:
            remote = Settings(var_dir=Path(scratch) / "var", **virtuoso.settings())
            graph_store = GraphStore(remote)
            for name in names:
                release = snapshot.releases[name]
                path = Path(release["dir"]) / f"{release['stem']}.nt.gz"
                counted = [0]
                started = time.perf_counter()
                graph_store.load(release["graph"], ntriples_chunks(path, graph_store.chunk, counted))
                seconds = time.perf_counter() - started
                held = RemoteReader(remote, [release["graph"]]).count(release["graph"])
                print(
                    f"{name}: {counted[0]:,} triples loaded by GSP in {seconds:.1f} s "
                    f"({counted[0] / seconds:,.0f} triples/s); the store holds {held:,}"
                )
        finally:
            virtuoso.stop()


if __name__ == "__main__":
    main()
