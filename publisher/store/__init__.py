"""The store: what is published (registry.py), its published states (snapshots.py), and the
backends behind one face: the embedded pyoxigraph store (embedded.py), an external SPARQL 1.1 store
(remote.py) and a Virtuoso localindex runs itself (virtuoso.py). A build writes through
``open_writable``, a server reads through ``open_reader`` while ``serving`` keeps its store up; all
publish the same way, by a snapshot's manifest.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Protocol

from ..config import Settings
from .embedded import EmbeddedReader, WritableStore
from .registry import Registry, build_lock
from .snapshots import Snapshot, current_snapshot

__all__ = [
    "PublishingStore",
    "Registry",
    "Snapshot",
    "build_lock",
    "current_snapshot",
    "open_reader",
    "open_writable",
    "serving",
]


class PublishingStore(Protocol):
    """What a build needs of a store: WritableStore (embedded) and RemoteWritableStore (SPARQL)."""

    def replace_graph(self, graph: str, triples_nt: bytes) -> None: ...

    def sync(self, registry: Registry, small_graphs: dict[str, bytes], progress) -> bool: ...

    def load_release(self, graph: str, ntriples: Path) -> None: ...

    def snapshot(self, registry: Registry) -> Path: ...


@contextmanager
def open_writable(settings: Settings) -> Iterator[PublishingStore]:
    """The build's handle on the configured store, with the Virtuoso localindex runs kept up meanwhile."""
    if settings.store == "virtuoso":
        from .virtuoso import VirtuosoWritableStore, running

        with running(settings) as server:
            yield VirtuosoWritableStore(settings, server)
    elif settings.external_store:
        from .remote import RemoteWritableStore  # SPARQLWrapper only when a store is external

        yield RemoteWritableStore(settings)
    else:
        yield WritableStore(settings)


def serving(settings: Settings):
    """A context in which the configured store answers queries (starts the Virtuoso localindex runs)."""
    if settings.store == "virtuoso":
        from .virtuoso import running

        return running(settings)
    return nullcontext()


def open_reader(settings: Settings, snapshot_path: Path | str, graphs: list[str]):
    """Read access to a published snapshot; ``graphs`` are those an external store may be asked about."""
    if settings.store == "virtuoso":
        from .virtuoso import VirtuosoReader

        return VirtuosoReader(settings, graphs)
    if settings.external_store:
        from .remote import RemoteReader

        return RemoteReader(settings, graphs)
    return EmbeddedReader(snapshot_path)
