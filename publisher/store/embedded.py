"""The embedded pyoxigraph store on disk: written only by builds (WritableStore), read by servers
through snapshots (EmbeddedReader).

A build stages a release into its own named graph of ``var/store``; only after it validates does
the registry name it, and only then is an immutable snapshot (RocksDB hard-link backup) taken.
Servers open the newest snapshot read-only, so readers never see half a release, and a build
never writes a database that a reader has open.
"""

from __future__ import annotations

import gc
import gzip
import os
import shutil
from itertools import islice
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from ..config import Settings
from .registry import Registry
from .snapshots import publish_manifest

BULK_LOAD_LINES = 500_000


def bulk_load_lines(store: ox.Store, graph: str, handle: BinaryIO) -> None:
    """Bulk-load N-Triples into ``graph`` in pieces of BULK_LOAD_LINES lines: pyoxigraph's bulk loader
    holds a whole batch in memory (1.8 GB for the 10.7 M triples of imd-lsoa/2019 in one call, 0.7 GB
    in pieces of 500,000 lines), so the pieces bound the build's memory."""
    target = ox.NamedNode(graph)
    while piece := b"".join(islice(handle, BULK_LOAD_LINES)):
        store.bulk_load(piece, format=ox.RdfFormat.N_TRIPLES, to_graph=target)


def bulk_load_gz(store: ox.Store, graph: str, ntriples_gz: Path) -> None:
    """Stream a gzipped N-Triples release file into ``graph`` of ``store``."""
    with gzip.open(ntriples_gz, "rb") as handle:
        bulk_load_lines(store, graph, handle)


class WritableStore:
    """The build's handle on var/store. Only one build may hold it at a time (file lock)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        self.store = ox.Store(str(settings.store_dir))

    def replace_graph(self, graph: str, triples_nt: bytes) -> None:
        """Replace a small graph (vocabulary, catalogue) in place; releases are never replaced in place."""
        node = ox.NamedNode(graph)
        if self.store.contains_named_graph(node):
            self.store.remove_graph(node)
        self.store.load(triples_nt, format=ox.RdfFormat.N_TRIPLES, to_graph=node)

    def load_release(self, graph: str, ntriples: Path) -> None:
        """Bulk-load a just-registered release from its uncompressed N-Triples, then remove them (the
        release keeps its .nt.gz); a later sync finds the graph present."""
        with ntriples.open("rb") as handle:
            bulk_load_lines(self.store, graph, handle)
        ntriples.unlink()

    def sync(self, registry: Registry, small_graphs: dict[str, bytes], progress) -> bool:
        """Make the store hold exactly the registry's graphs; return whether it changed.

        Missing release graphs are bulk-loaded from their files. Graphs the registry no longer names
        (superseded or left by an interrupted build) are not deleted in place: pyoxigraph deletes a
        graph in one in-memory transaction (measured: over 10 minutes and 8 GB for 10.6 M triples),
        so the store is rebuilt from the release files instead and swapped in.
        """
        wanted = registry.release_files()
        present = {g.value for g in self.store.named_graphs()} - set(small_graphs)
        if present - set(wanted):
            progress(f"  rebuilding the store without {len(present - set(wanted))} superseded graph(s)")
            self._rebuild(wanted, small_graphs)
            return True
        for graph in sorted(set(wanted) - present):
            progress(f"  loading {wanted[graph].name} into the store")
            bulk_load_gz(self.store, graph, wanted[graph])
        self.store.flush()
        return bool(set(wanted) - present)

    def _rebuild(self, releases: dict[str, Path], small_graphs: dict[str, bytes]) -> None:
        target, fresh_dir = self.settings.store_dir, self.settings.var_dir / "store.next"
        shutil.rmtree(fresh_dir, ignore_errors=True)
        fresh = ox.Store(str(fresh_dir))
        for graph, content in small_graphs.items():
            fresh.load(content, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
        for graph, path in sorted(releases.items()):
            bulk_load_gz(fresh, graph, path)
        fresh.flush()
        del fresh, self.store  # release RocksDB's locks before the directories are swapped
        gc.collect()
        retired = self.settings.var_dir / "store.retired"
        shutil.rmtree(retired, ignore_errors=True)
        os.replace(target, retired)
        os.replace(fresh_dir, target)
        shutil.rmtree(retired, ignore_errors=True)
        self.store = ox.Store(str(target))

    def snapshot(self, registry: Registry) -> Path:
        """Publish the registry's state as a new immutable snapshot (a RocksDB backup), then prune."""
        target = self.settings.snapshots_dir / registry.generation_name
        self.settings.snapshots_dir.mkdir(parents=True, exist_ok=True)
        if target.exists():
            shutil.rmtree(target)
        self.store.flush()
        self.store.backup(str(target))
        return publish_manifest(self.settings, registry, store="embedded")


class EmbeddedReader:
    """A published snapshot of the embedded store, opened read-only."""

    def __init__(self, path: Path | str):
        self.store = ox.Store.read_only(str(path))
        self._every_graph = {g.value for g in self.store.named_graphs()}
        self._default_graph_empty = not any(
            True for _ in self.store.quads_for_pattern(None, None, None, ox.DefaultGraph())
        )

    def query(self, text: str, *, form: str = "SELECT", **dataset):
        """A query over ``dataset`` (default_graph / named_graphs lists). A default graph that lists
        every graph of the store is asked as the store's union, which pyoxigraph answers from one
        index instead of one per graph (2 ms instead of 8 ms for an area's 320 rows nationally)."""
        default = dataset.get("default_graph")
        if default and self._default_graph_empty and {g.value for g in default} == self._every_graph:
            del dataset["default_graph"]
            dataset["use_default_graph_as_union"] = True
            if {g.value for g in dataset.get("named_graphs", ())} == self._every_graph:
                del dataset["named_graphs"]
        return self.store.query(text, **dataset)

    def quads_for_pattern(self, *pattern):
        return self.store.quads_for_pattern(*pattern)

    def select(self, text: str) -> list:
        """A SELECT over the union of every graph."""
        return list(self.store.query(text, use_default_graph_as_union=True))

    def label_triples(self, subjects: list, predicates: tuple) -> list[ox.Triple]:
        """Every (subject, predicate, value) triple of the given subjects and label predicates."""
        return [
            ox.Triple(q.subject, q.predicate, q.object)
            for subject in subjects
            for predicate in predicates
            for q in self.store.quads_for_pattern(subject, predicate, None)
        ]

    def describe(self, iri: str, limit: int) -> list[ox.Triple]:
        """The subject's triples, following blank nodes, up to ``limit``."""
        found: dict[ox.Triple, None] = {}
        pending: list = [ox.NamedNode(iri)]
        while pending and len(found) < limit:
            node = pending.pop()
            for quad in islice(self.store.quads_for_pattern(node, None, None), limit):
                triple = ox.Triple(quad.subject, quad.predicate, quad.object)
                if triple not in found:
                    found[triple] = None
                    if isinstance(quad.object, ox.BlankNode):
                        pending.append(quad.object)
        return list(found)
