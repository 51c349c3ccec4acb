"""What is published: the registry of releases (var/registry.json), and the lock a build holds to
change it."""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path

from ..config import Settings


def write_json_atomically(path: Path, value) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")
    os.replace(temporary, path)


class Registry:
    """What is published: releases by 'series/edition' and the vocabulary graph, in one JSON file."""

    def __init__(self, settings: Settings):
        self.path = settings.var_dir / "registry.json"
        self.state = json.loads(self.path.read_text()) if self.path.exists() else {}
        self.state.setdefault("releases", {})
        self.state.setdefault("vocabulary", {})
        self.state.setdefault("catalog", {})
        self.state.setdefault("generation", 0)
        for name, record in self.releases.items():  # registered before the catalogue existed
            series, edition = name.split("/", 1)
            record.setdefault("series", series)
            record.setdefault("edition", edition)
            record.setdefault("series_title", record.get("title", name))
            record.setdefault("sources", [])
            record.setdefault("period", "")
            record.setdefault("revision", 1)

    @property
    def releases(self) -> dict:
        return self.state["releases"]

    @property
    def harvested(self) -> dict:
        """A hub's copies of member releases, by 'member/series/edition' (publisher/hub/harvest.py)."""
        return self.state.setdefault("harvested", {})

    def graphs(self) -> list[str]:
        """The graphs SPARQL's default graph unites: current revisions, vocabulary and catalogue."""
        graphs = [r["graph"] for r in [*self.releases.values(), *self.harvested.values()]]
        graphs += [self.state[small]["graph"] for small in ("vocabulary", "catalog") if self.state[small]]
        return sorted(graphs)

    def archived_graphs(self) -> list[str]:
        """Replaced revisions: still in the store (they resolve for ever) but outside the default graph,
        where they would count twice; a query names them with FROM or GRAPH."""
        return sorted(h["graph"] for r in self.releases.values() for h in r.get("history", []))

    def release_files(self) -> dict[str, Path]:
        """Graph → N-Triples file of every release the store must hold: current, replaced, harvested."""
        records = [
            *self.releases.values(),
            *(h for r in self.releases.values() for h in r.get("history", [])),
            *self.harvested.values(),
        ]
        return {r["graph"]: Path(r["dir"]) / f"{r['stem']}.nt.gz" for r in records}

    @property
    def generation_name(self) -> str:
        return f"gen-{self.state['generation']:06d}"

    def save(self) -> None:
        self.state["generation"] += 1
        write_json_atomically(self.path, self.state)


@contextmanager
def build_lock(settings: Settings):
    """Hold var/build.lock so two builds never write the store at once."""
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    with (settings.var_dir / "build.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"another build holds {settings.var_dir / 'build.lock'}") from None
        yield
