"""Dataset definitions (data/datasets.toml): what to publish and from which inputs."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .uris import check_segment, period


@dataclass(frozen=True)
class DatasetSpec:
    series: str
    series_title: str
    edition: str
    builder: str
    period: str
    title: str
    description: str
    missing_values: str
    source_issued: str
    geography_level: str
    geography_vintage: str
    area_code_pattern: str
    ranking_universe: int
    components: list[str]
    measures: list[str]
    inputs: dict
    denominators: dict = field(default_factory=dict)
    publishes_area_facts: bool = True
    root: Path = Path(".")

    @property
    def name(self) -> str:
        return f"{self.series}/{self.edition}"

    def input_path(self, relative: str) -> Path:
        """Resolve an input path, refusing anything outside the datasets file's folder."""
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"{self.name}: input {relative!r} is outside {self.root}")
        return path

    def input_files(self) -> list[Path]:
        """Every input file, each once, in a stable order."""
        names: list[str] = []
        for value in self.inputs.values():
            names.extend([value] if isinstance(value, str) else value)
        return [self.input_path(n) for n in sorted(set(names))]


def load_datasets(path: Path) -> list[DatasetSpec]:
    with path.open("rb") as handle:
        entries = tomllib.load(handle).get("dataset", [])
    specs = []
    for entry in entries:
        try:
            spec = DatasetSpec(**entry, root=path.parent)
        except TypeError as error:
            name = f"{entry.get('series')}/{entry.get('edition')}"
            raise ValueError(f"{path}: dataset {name}: {error}") from None
        check_segment(spec.series, "series")
        check_segment(spec.edition, "edition")
        period(spec.period)
        specs.append(spec)
    return specs


def select(specs: list[DatasetSpec], names: list[str]) -> list[DatasetSpec]:
    """Pick datasets by 'series' or 'series/edition'; all when no names are given."""
    if not names:
        return specs
    chosen = [s for s in specs if s.name in names or s.series in names]
    unknown = [n for n in names if not any(s.name == n or s.series == n for s in specs)]
    if unknown:
        known = ", ".join(s.name for s in specs)
        raise ValueError(f"unknown dataset(s): {', '.join(unknown)} (known: {known})")
    return chosen
