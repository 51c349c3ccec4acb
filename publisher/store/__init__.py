"""The store: what is published (registry.py), its published states (snapshots.py), and the two
backends behind one face: the embedded pyoxigraph store (embedded.py) and an external SPARQL 1.1
store (remote.py). A build writes through ``open_writable``, a server reads through ``open_reader``;
both publish the same way, by a snapshot's manifest.
"""

from __future__ import annotations

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
]


class PublishingStore(Protocol):
    """What a build needs of a store: WritableStore (embedded) and RemoteWritableStore (SPARQL)."""

    def replace_graph(self, graph: str, triples_nt: bytes) -> None: ...

    def sync(self, registry: Registry, small_graphs: dict[str, bytes], progress) -> bool: ...

    def load_release(self, graph: str, ntriples: Path) -> None: ...

    def snapshot(self, registry: Registry) -> Path: ...


def open_writable(settings: Settings) -> PublishingStore:
    """The build's handle on the configured store (embedded or external SPARQL)."""
    if settings.external_store:
        from .remote import RemoteWritableStore  # SPARQLWrapper only when a store is external

        return RemoteWritableStore(settings)
    return WritableStore(settings)


def open_reader(settings: Settings, snapshot_path: Path | str, graphs: list[str]):
    """Read access to a published snapshot; ``graphs`` are those an external store may be asked about."""
    if settings.external_store:
        from .remote import RemoteReader

        return RemoteReader(settings, graphs)
    return EmbeddedReader(snapshot_path)
