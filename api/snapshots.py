"""The server's view of what is published: the current snapshot, re-read when a build publishes."""

from __future__ import annotations

from pathlib import Path

from publisher.config import Settings
from publisher.store import Snapshot, current_snapshot


class SnapshotWatcher:
    """Cheap to call per request: re-reads the manifest only when the CURRENT pointer changes."""

    def __init__(self, settings: Settings):
        self.pointer: Path = settings.snapshots_dir / "CURRENT"
        self.settings = settings
        self._seen: tuple[float, int] | None = None
        self._snapshot: Snapshot | None = None

    def current(self) -> Snapshot | None:
        try:
            stat = self.pointer.stat()
        except FileNotFoundError:
            return None
        key = (stat.st_mtime, stat.st_ino)
        if key != self._seen:
            self._snapshot = current_snapshot(self.settings)
            self._seen = key
        return self._snapshot
