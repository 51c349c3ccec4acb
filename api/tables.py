"""Published observations in memory, for the REST API: one columnar table per release, read from the
release's own CSVW files (which the gate proved say the same as its RDF).

SPARQL over the store is the wrong tool for filtering and aggregation at this size (DESIGN.md §6:
a population-weighted region aggregate over 1 M observations takes 1.6-8 s in pyoxigraph); pandas
over the same values takes milliseconds. Tables load on first use and are dropped when a new
snapshot is published.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from publisher.published import Geography, Release, Settings, load_geography, observations, ons_population

from .snapshots import SnapshotWatcher

T = TypeVar("T")


@dataclass
class PublishedDataset:
    """One published release: what the registry says about it and its observations."""

    name: str
    release: Release
    table: pd.DataFrame  # area, period, component, measure, value, unit, status
    _wide: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    _area_rows: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _derived: dict[tuple[str, ...], Any] = field(default_factory=dict, repr=False)

    @property
    def uri(self) -> str:
        return self.release.dataset

    @property
    def level(self) -> str | None:
        return self.release.level

    @property
    def measures(self) -> tuple[str, ...]:
        return self.release.measures

    @property
    def components(self) -> tuple[str, ...]:
        return self.release.components

    def observation_uri(self, area: str, period: str, component: str, measure: str) -> str:
        return self.release.observation_uri(area, period, component, measure)

    def unknown_areas(self, codes: list[str]) -> list[str]:
        return [
            c
            for c, i in zip(codes, self.table["area"].cat.categories.get_indexer(codes), strict=True)
            if i < 0
        ]

    def rows_of(self, areas: set[str] | list[str]) -> pd.DataFrame:
        """The observations of ``areas``, in table order, by an index built once: a boolean mask over a
        national table costs milliseconds per request, a lookup microseconds."""
        if not self._area_rows:
            self._area_rows.update(self.table.groupby("area", observed=True, sort=False).indices)
        found = [self._area_rows[a] for a in areas if a in self._area_rows]
        positions = np.sort(np.concatenate(found)) if found else np.empty(0, dtype=np.intp)
        return self.table.iloc[positions]

    def wide(self, component: str) -> pd.DataFrame:
        """One row per area, one column per measure, for one component (cached)."""
        if component not in self._wide:
            rows = self.table[self.table["component"] == component]
            self._wide[component] = rows.pivot(index="area", columns="measure", values="value")
        return self._wide[component]

    def derived(self, key: tuple[str, ...], compute: Callable[[], T]) -> T:
        """A frame computed from this release once per snapshot (its summaries on another
        geography, say): dropped with the release when a new snapshot is published."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]


class PublishedTables:
    """Thread-safe, lazily loaded tables of the current snapshot, plus geography and populations."""

    def __init__(self, settings: Settings, snapshots: SnapshotWatcher):
        self.settings = settings
        self.snapshots = snapshots
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._datasets: dict[str, PublishedDataset] = {}
        self._geography: Geography | None = None
        self._population: pd.Series | None = None

    def releases(self) -> dict[str, Release]:
        """Own releases by 'series/edition'; on a hub also the harvested ones, by 'member/series/edition'."""
        snapshot = self.snapshots.current()
        return {} if snapshot is None else snapshot.all_releases

    def dataset(self, name: str) -> PublishedDataset | None:
        snapshot = self.snapshots.current()
        releases = self.releases()
        if snapshot is None or name not in releases:
            return None
        with self._lock:
            generation = snapshot.path.name
            if generation != self._generation:
                self._datasets, self._generation = {}, generation
            if name not in self._datasets:
                release = releases[name]
                table = observations(release)
                for column in ("area", "period", "component", "measure", "unit", "status"):
                    table[column] = table[column].astype("category")
                self._datasets[name] = PublishedDataset(name, release, table)
            return self._datasets[name]

    @property
    def geography(self) -> Geography:
        with self._lock:
            if self._geography is None:
                self._geography = load_geography(self.settings)
            return self._geography

    @property
    def ons_population(self) -> pd.Series:
        """ONS mid-2018 population estimates by LSOA (the bundled SAPE21DT11 table)."""
        with self._lock:
            if self._population is None:
                self._population = ons_population(self.settings)
            return self._population
