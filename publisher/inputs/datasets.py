"""Dataset definitions (data/datasets.toml): what to publish and from which inputs."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..rdf.uris import OGL_V3, check_segment, period
from .lookups import AreaLookup


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
    rank_direction: str = "1 = most deprived"
    derived_from: str = ""  # "series/edition" of the dataset this one is computed from
    publisher: str = ""  # id of a registered publisher (data/publishers.toml); "" = this deployment
    licence: str = ""  # URI; "" = the Open Government Licence v3.0
    # Derived datasets: how LSOAs fall into the areas, and the areas' names and parents
    # (publisher/inputs/lookups.py); {} = the LSOA edition's own districts, or the 2011-based lookups.
    lookup: dict = field(default_factory=dict)
    parents: dict = field(default_factory=dict)
    # Revisions published before this one, oldest first: each a table of what differed (its lookup,
    # inputs, texts). A new deployment publishes them in turn, so the edition's history is what it was.
    earlier: list = field(default_factory=list)
    # Builders from LSOA-level inputs keyed by another vintage than their areas': the inputs' LSOA
    # vintage (an id of data/geography.toml), carried across to the areas by the gazetteer.
    lsoa_vintage: str = ""
    # Indicator columns an edition publishes only as counts, made rates here as the official score is:
    # column → {numerator = a column of the indicator file, population = a population of `denominators`}.
    rates: dict = field(default_factory=dict)
    revision_note: str = ""  # why this revision replaces the one before it (published as adms:versionNotes)
    root: Path = Path(".")
    source: DatasetSpec | None = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        return f"{self.series}/{self.edition}"

    @property
    def licence_uri(self) -> str:
        return self.licence or OGL_V3

    def input_path(self, relative: str) -> Path:
        """Resolve an input path, refusing anything outside the datasets file's folder."""
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"{self.name}: input {relative!r} is outside {self.root}")
        return path

    def denominator_columns(self, name: str) -> list[str]:
        """The columns of ``inputs.population`` that make the population ``name``: ``denominators``
        names a column or a list of columns to add up (Census age bands); by default the column
        ``name`` itself."""
        denominator = self.denominators.get(name, name)
        if isinstance(denominator, str):
            return [denominator]
        if isinstance(denominator, list) and denominator and all(isinstance(c, str) for c in denominator):
            return denominator
        raise ValueError(
            f"{self.name}: denominators.{name} must name a column of {self.inputs.get('population')} "
            f"or a list of columns to add up, not {denominator!r}"
        )

    def input_files(self) -> list[Path]:
        """Every input file, each once, in a stable order (with those of the dataset derived from)."""
        names: list[str] = [lookup["file"] for lookup in (self.lookup, self.parents) if lookup]
        for value in self.inputs.values():
            names.extend(
                [value] if isinstance(value, str) else value.values() if isinstance(value, dict) else value
            )
        paths = {self.input_path(n) for n in names}
        if self.source is not None:
            paths |= set(self.source.input_files())
        return sorted(paths)

    def revisions(self) -> list[DatasetSpec]:
        """The edition's revisions in publication order: each earlier one, then this one."""
        earlier = [replace(self, **{"revision_note": ""} | changes, earlier=[]) for changes in self.earlier]
        return [*earlier, self]


def load_datasets(path: Path) -> list[DatasetSpec]:
    with path.open("rb") as handle:
        content = tomllib.load(handle)
    entries = content.get("dataset", []) + [e for d in content.get("derived", []) for e in _expand(d)]
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
        for version in _checked_revisions(spec, path):
            for entry in (version.lookup, version.parents):
                if entry:
                    AreaLookup.of(entry, f"{path}: dataset {spec.name}")
        specs.append(spec)
    by_name = {s.name: s for s in specs}
    for index, spec in enumerate(specs):
        if spec.derived_from:
            if spec.derived_from not in by_name:
                raise ValueError(f"{path}: dataset {spec.name} is derived from unknown {spec.derived_from!r}")
            specs[index] = replace(spec, source=by_name[spec.derived_from])
    return specs


SPEC_FILE = "dataset.json"


def save_spec(spec: DatasetSpec, folder: Path) -> None:
    """Write the definition of a dataset not in the datasets file (a submission) beside its inputs."""
    values = {k: v for k, v in vars(spec).items() if k not in ("root", "source")}
    (folder / SPEC_FILE).write_text(json.dumps(values, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def submitted_datasets(root: Path) -> list[DatasetSpec]:
    """The datasets published by `localindex ingest`, from var/submissions/{publisher}/{series}/{edition}/."""
    return [
        DatasetSpec(**json.loads(path.read_text(encoding="utf-8")), root=root)
        for path in sorted(root.glob(f"*/*/*/{SPEC_FILE}"))
    ]


def all_datasets(settings) -> list[DatasetSpec]:
    return load_datasets(settings.datasets_file) + submitted_datasets(settings.submissions_dir)


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


def _checked_revisions(spec: DatasetSpec, path: Path) -> list[DatasetSpec]:
    try:
        return spec.revisions()
    except TypeError as error:
        raise ValueError(f"{path}: dataset {spec.name}: earlier revision: {error}") from None


def _expand(derived: dict) -> list[dict]:
    """One dataset entry per level of a ``[[derived]]`` entry; {level_title} and {level_note} (what
    only that level says, e.g. how far it is from the official figures) fill in the texts."""
    common = {k: v for k, v in derived.items() if k != "levels"}
    entries = []
    for level in derived.get("levels", {}).values():
        entry = common | {k: v for k, v in level.items() if k not in ("level_title", "level_note")}
        fills = {"{level_title}": level.get("level_title", ""), "{level_note}": level.get("level_note", "")}
        for texts in (entry, *entry.get("earlier", [])):
            for text in ("title", "description", "missing_values", "revision_note"):
                for placeholder, value in fills.items():
                    if text in texts:
                        texts[text] = texts[text].replace(placeholder, value)
        entries.append(entry)
    return entries
