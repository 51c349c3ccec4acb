"""Published states of the store: each a manifest (var/snapshots/gen-*.json) naming the registry's
graphs, and CURRENT pointing at the newest. Publishing a manifest is the one atomic step that makes
a build visible, for either store."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from .registry import Registry, write_json_atomically

KEEP_SNAPSHOTS = 3


@dataclass(frozen=True)
class Snapshot:
    """One immutable, published state of the store."""

    path: Path
    manifest: dict

    @property
    def graphs(self) -> list[str]:
        return self.manifest["graphs"]

    @property
    def releases(self) -> dict:
        return self.manifest["releases"]

    @property
    def archived_graphs(self) -> list[str]:
        return self.manifest.get("archived_graphs", [])


def publish_manifest(settings: Settings, registry: Registry, store: str) -> Path:
    """Write the manifest of the registry's state and point CURRENT at it: the one atomic step that
    makes a build visible, for either store. Keeps the newest KEEP_SNAPSHOTS."""
    snapshots = settings.snapshots_dir
    snapshots.mkdir(parents=True, exist_ok=True)
    name = registry.generation_name
    manifest = {
        "graphs": registry.graphs(),
        "archived_graphs": registry.archived_graphs(),
        "releases": registry.releases,
        "harvested": registry.harvested,
        "generation": name,
        "store": store,
    }
    write_json_atomically(snapshots / f"{name}.json", manifest)
    (snapshots / "CURRENT.tmp").write_text(name)
    os.replace(snapshots / "CURRENT.tmp", snapshots / "CURRENT")
    for old in sorted(snapshots.glob("gen-*.json"))[:-KEEP_SNAPSHOTS]:
        shutil.rmtree(old.with_suffix(""), ignore_errors=True)
        old.unlink(missing_ok=True)
    return snapshots / name


def current_snapshot(settings: Settings) -> Snapshot | None:
    pointer = settings.snapshots_dir / "CURRENT"
    if not pointer.exists():
        return None
    name = pointer.read_text().strip()
    path = settings.snapshots_dir / name
    return Snapshot(path, json.loads(path.with_suffix(".json").read_text()))
