"""A Social Progress Index methodology as data: framework, goalposts, transforms, weights and rules.

One methodology object scores every period of a series, so that a change in score is a change in
outcome, not in the scale (methods.md §1.3). It is read from a TOML file and checked on load: a
method that cannot be applied is refused with the file and the field that is wrong.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...rdf.uris import check_segment

TRANSFORMS = {"identity": lambda x: x, "sqrt": np.sqrt, "log": np.log}
WEIGHTINGS = ("equal", "explicit", "pca")
IMPUTATIONS = ("none", "mean", "group-mean", "locf")
AGGREGATIONS = ("arithmetic", "geometric", "generalised")
RATINGS = ("better", "no-significant-change", "worse")
INDEX = "spi"  # notation of the index itself in every framework's concept scheme
WEIGHT_SUM_TOLERANCE = 0.001  # published weights are rounded; they are divided by their sum


class MethodError(ValueError):
    """The method file cannot be applied; the message names the file and the field."""


@dataclass(frozen=True)
class Aggregation:
    """A weighted mean of a level's children: arithmetic, geometric, or generalised of order p."""

    function: str = "arithmetic"
    p: float | None = None

    def __call__(self, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Row-wise weighted mean of ``values`` (rows × children); NaN cells drop out, weights renormalise."""
        present = ~np.isnan(values)
        w = np.where(present, weights, 0.0)
        total = w.sum(axis=1)
        x = np.where(present, values, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.function == "arithmetic":
                result = (w * x).sum(axis=1) / total
            elif self.function == "geometric":
                result = np.exp((w * np.log(np.where(present, x, 1.0))).sum(axis=1) / total)
            else:
                result = ((w * np.power(x, self.p)).sum(axis=1) / total) ** (1.0 / self.p)
        return np.where(total > 0, result, np.nan)

    def describe(self) -> str:
        return f"generalised mean of order {self.p:g}" if self.function == "generalised" else self.function


@dataclass(frozen=True)
class Dimension:
    id: str
    label: str
    definition: str = ""


@dataclass(frozen=True)
class Component:
    id: str
    label: str
    dimension: str
    weights: str = "equal"  # equal | explicit | pca
    definition: str = ""
    omitted: str = ""  # why the component has no indicator here; omitted components are not scored
    # Overrides the method's minimum_coverage; 0 lets imputation fill a component of which nothing is
    # present (a component of one indicator can be imputed at all only so).
    minimum_coverage: float | None = None

    def coverage(self, method: Method) -> float:
        """The share of the component's weight that must be present for it to be scored."""
        return method.minimum_coverage if self.minimum_coverage is None else self.minimum_coverage


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    component: str
    unit: str
    utopia: float
    dystopia: float
    transform: str = "identity"
    weight: float | None = None
    cap_low: float | None = None  # raw values are clipped into [cap_low, cap_high] before scoring
    cap_high: float | None = None
    definition: str = ""
    rationale: str = ""  # why it measures its component
    goalposts: str = ""  # how utopia and dystopia were chosen
    source: dict = field(default_factory=dict)

    @property
    def higher_is_better(self) -> bool:
        return self.utopia > self.dystopia

    def score(self, raw: np.ndarray) -> np.ndarray:
        """clip(100·(T(x) − T(D)) / (T(U) − T(D)), 0, 100); NaN stays NaN."""
        x = np.asarray(raw, dtype="float64")
        if self.cap_low is not None or self.cap_high is not None:
            x = np.clip(x, self.cap_low, self.cap_high)
        t = TRANSFORMS[self.transform]
        with np.errstate(invalid="ignore", divide="ignore"):
            scaled = 100.0 * (t(x) - t(self.dystopia)) / (t(self.utopia) - t(self.dystopia))
        return np.clip(scaled, 0.0, 100.0)


@dataclass(frozen=True)
class Method:
    id: str
    version: str
    title: str
    description: str
    index_label: str
    dimensions: tuple[Dimension, ...]
    components: tuple[Component, ...]
    indicators: tuple[Indicator, ...]
    component_aggregation: Aggregation = Aggregation()
    dimension_aggregation: Aggregation = Aggregation()
    index_aggregation: Aggregation = Aggregation()
    minimum_coverage: float = 1.0  # share of a component's weight that must be present
    imputation: str = "none"
    pca_reference_period: str | None = None
    progress_threshold: float = 1.0  # score points; smaller changes are not significant
    progress_colours: dict = field(default_factory=dict)
    notes: str = ""  # what was checked against outside figures, and what could not be

    @property
    def notation(self) -> str:
        """Name of this version of the method under /def/method/."""
        return f"{self.id}-v{self.version}"

    @property
    def scored_components(self) -> list[Component]:
        return [c for c in self.components if not c.omitted]

    @property
    def omitted_components(self) -> list[Component]:
        return [c for c in self.components if c.omitted]

    def components_of(self, dimension: str) -> list[Component]:
        return [c for c in self.scored_components if c.dimension == dimension]

    def indicators_of(self, component: str) -> list[Indicator]:
        return [i for i in self.indicators if i.component == component]

    def fixed_weights(self, component: Component) -> np.ndarray | None:
        """The component's indicator weights summing to 1, or None when they come from PCA."""
        members = self.indicators_of(component.id)
        if component.weights == "equal":
            return np.full(len(members), 1.0 / len(members))
        if component.weights == "explicit":
            weights = np.array([i.weight for i in members], dtype="float64")
            return weights / weights.sum()
        return None

    @classmethod
    def from_toml(cls, path: Path) -> Method:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        return cls.from_mapping(data, str(path))

    @classmethod
    def from_mapping(cls, data: dict, origin: str) -> Method:
        """Build and check a method from the TOML structure ([method], [[dimension]], …)."""
        head = dict(data.get("method", {}))
        try:
            aggregation = {k: Aggregation(**v) for k, v in head.pop("aggregation", {}).items()}
            progress = head.pop("progress", {})
            method = cls(
                **head,
                dimensions=tuple(Dimension(**d) for d in data.get("dimension", [])),
                components=tuple(Component(**c) for c in data.get("component", [])),
                indicators=tuple(Indicator(**i) for i in data.get("indicator", [])),
                component_aggregation=aggregation.get("component", Aggregation()),
                dimension_aggregation=aggregation.get("dimension", Aggregation()),
                index_aggregation=aggregation.get("index", Aggregation()),
                progress_threshold=float(progress.get("threshold", 1.0)),
                progress_colours=dict(progress.get("colours", {})),
            )
        except TypeError as error:
            raise MethodError(f"{origin}: {error}") from None
        problems = method.problems()
        if problems:
            raise MethodError("\n".join(f"{origin}: {p}" for p in problems))
        return method

    def problems(self) -> list[str]:
        """Everything that makes the method inapplicable, each naming the field."""
        found: list[str] = []
        for what, items in (("dimension", self.dimensions), ("component", self.components)):
            found += _duplicates(what, [i.id for i in items])
        found += _duplicates("indicator", [i.id for i in self.indicators])
        for value, what in [(self.id, "method.id"), (self.version, "method.version")] + [
            (i.id, "id") for i in (*self.dimensions, *self.components, *self.indicators)
        ]:
            try:
                check_segment(str(value), what)
            except ValueError as error:
                found.append(str(error))
        dimensions = {d.id for d in self.dimensions}
        components = {c.id: c for c in self.components}
        if not self.dimensions:
            found.append("no [[dimension]] is defined")
        for c in self.components:
            if c.dimension not in dimensions:
                found.append(f"component {c.id}: unknown dimension {c.dimension!r}")
            if c.weights not in WEIGHTINGS:
                found.append(f"component {c.id}: weights must be one of {', '.join(WEIGHTINGS)}")
            if c.weights == "pca" and not self.pca_reference_period:
                found.append(f"component {c.id}: PCA weights need method.pca_reference_period")
            members = self.indicators_of(c.id)
            if not c.omitted and not members:
                found.append(f"component {c.id}: no indicator (set omitted = reason to leave it out)")
            if c.omitted and members:
                found.append(f"component {c.id}: omitted but has indicators {[i.id for i in members]}")
            if c.weights == "explicit" and members:
                weights = [i.weight for i in members]
                if any(w is None or w < 0 for w in weights):
                    found.append(f"component {c.id}: explicit weights need a weight >= 0 on every indicator")
                elif abs(sum(weights) - 1.0) > WEIGHT_SUM_TOLERANCE:
                    found.append(f"component {c.id}: indicator weights sum to {sum(weights):.4f}, not 1")
        for d in self.dimensions:
            if not self.components_of(d.id):
                found.append(f"dimension {d.id}: no scored component")
        for i in self.indicators:
            found += [f"indicator {i.id}: {p}" for p in _indicator_problems(i, components)]
        found += self._rule_problems()
        return found

    def _rule_problems(self) -> list[str]:
        found = []
        for level, rule in (
            ("component", self.component_aggregation),
            ("dimension", self.dimension_aggregation),
            ("index", self.index_aggregation),
        ):
            if rule.function not in AGGREGATIONS:
                found.append(f"method.aggregation.{level}: function must be one of {', '.join(AGGREGATIONS)}")
            if rule.function == "generalised" and not rule.p:
                found.append(f"method.aggregation.{level}: a generalised mean needs a non-zero p")
        if self.imputation not in IMPUTATIONS:
            found.append(f"method.imputation must be one of {', '.join(IMPUTATIONS)}")
        if not 0 < self.minimum_coverage <= 1:
            found.append("method.minimum_coverage must be in (0, 1]")
        for component in self.components:
            if component.minimum_coverage is not None and not 0 <= component.minimum_coverage <= 1:
                found.append(f"component {component.id}: minimum_coverage must be in [0, 1]")
        if self.progress_threshold < 0:
            found.append("method.progress.threshold must be >= 0")
        unknown = sorted(set(self.progress_colours) - set(RATINGS))
        if unknown:
            found.append(f"method.progress.colours: unknown rating(s) {unknown}; ratings are {RATINGS}")
        return found


def _indicator_problems(indicator: Indicator, components: dict[str, Component]) -> list[str]:
    found = []
    if indicator.component not in components:
        found.append(f"unknown component {indicator.component!r}")
    if indicator.transform not in TRANSFORMS:
        found.append(f"transform must be one of {', '.join(TRANSFORMS)}")
        return found
    if indicator.utopia == indicator.dystopia:
        found.append("utopia equals dystopia")
    if indicator.transform == "log" and min(indicator.utopia, indicator.dystopia) <= 0:
        found.append("a log transform needs utopia and dystopia > 0")
    if indicator.transform == "sqrt" and min(indicator.utopia, indicator.dystopia) < 0:
        found.append("a sqrt transform needs utopia and dystopia >= 0")
    if None not in (indicator.cap_low, indicator.cap_high) and indicator.cap_low > indicator.cap_high:
        found.append("cap_low is above cap_high")
    return found


def _duplicates(what: str, ids: list[str]) -> list[str]:
    seen, repeated = set(), []
    for i in ids:
        if i in seen:
            repeated.append(i)
        seen.add(i)
    return [f"{what} id {i!r} is defined more than once" for i in sorted(set(repeated))]
