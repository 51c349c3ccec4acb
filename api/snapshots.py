"""The server's view of what is published: the current snapshot, re-read when a build publishes."""

from __future__ import annotations

from pathlib import Path

from publisher.published import PublishedSnapshot, Settings, current_published


class SnapshotWatcher:
    """Cheap to call per request: re-reads the manifest only when the CURRENT pointer changes."""

    def __init__(self, settings: Settings):
        self.pointer: Path = settings.snapshots_dir / "CURRENT"
        self.settings = settings
        self._seen: tuple[float, int] | None = None
        self._snapshot: PublishedSnapshot | None = None

    def current(self) -> PublishedSnapshot | None:
        try:
            stat = self.pointer.stat()
        except FileNotFoundError:
            return None
        key = (stat.st_mtime, stat.st_ino)
        if key != self._seen:
            self._snapshot = current_published(self.settings)
            self._seen = key
        return self._snapshot
