"""English Indices of Deprivation by LSOA: ranks and deciles as published; the IMD score either
reconstructed or copied, and checked either way.

The IMD score is the weighted sum of the exponentially transformed domain scores with the official
weights held in vocab/imd.ttl. Where the edition's inputs have the transformed scores (File 9: 2015,
2019) the score is reconstructed from them and checked against published scores; where they have the
published IMD score (2025) it is copied and checked against the transformation of the published
domain ranks. Ranks and deciles are never derived from scores (methods.md §2.2-2.3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import InputError, Problem
from ...inputs.datasets import DatasetSpec
from ...inputs.ingest import read_input
from ...rdf.uris import Minter
from ...rdf.vocab import Concept, scheme_concepts
from .. import tidy
from .table import BuiltTable

SCORE_TOLERANCE = 0.001
# File 9 has 3 decimals; keeping 4 holds the reconstruction within 0.001 of the published scores
# (rounding to 3 would add up to 0.0005 more).
SCORE_DECIMALS = 4


def build(spec: DatasetSpec, minter: Minter, only_areas: set[str] | None = None) -> BuiltTable:
    """Build the tidy table; ``only_areas`` restricts output to some LSOAs (fixtures, previews)."""
    concepts = {c.notation: c for c in scheme_concepts(minter.defs, "imd")}
    unknown = [c for c in spec.components if c not in concepts]
    if unknown:
        raise ValueError(f"{spec.name}: components not in the IMD scheme: {', '.join(unknown)}")
    areas = _areas(spec)
    sources = _MeasureSources(spec)
    if "transformed_scores" in spec.inputs:
        imd_score = reconstruct_imd_score(spec, concepts)
        checks = [_check_against_published(spec, imd_score, "reconstructed from File 9")]
        method = "imd-score-from-transformed-domains"
    else:
        imd_score = _published_imd_scores(spec)
        from_ranks = score_from_domain_ranks(spec, concepts, sources)
        checks = [_check_against_published(spec, from_ranks, "reconstructed from the domain ranks")]
        method = "imd-scores-as-published"
    sources.imd_score = imd_score
    if only_areas is not None:
        areas = areas[areas["code"].isin(only_areas)].reset_index(drop=True)
    frames = [
        tidy.observations(
            areas["code"],
            spec.period,
            component,
            measure,
            sources.values(component, measure),
            _unit(minter, concepts[component], measure),
        )
        for component in spec.components
        for measure in spec.measures
    ]
    return BuiltTable(
        tidy.concat(frames),
        areas,
        component_dimension="imd-domain",
        method=method,
        checks=checks,
    )


_BUILT: dict[tuple, BuiltTable] = {}


def build_once(spec: DatasetSpec, minter: Minter, only_areas: set[str] | None = None) -> BuiltTable:
    """The LSOA edition a derived dataset summarises, built once per process for the same inputs
    (the four summary levels of an edition share it); a changed input file builds it afresh."""
    key = (
        spec.name,
        minter.defs,
        frozenset(only_areas) if only_areas is not None else None,
        tuple((path, path.stat().st_mtime_ns, path.stat().st_size) for path in spec.input_files()),
    )
    if key not in _BUILT:
        _BUILT.clear()  # one edition at a time: the 2019 table is about 100 MB
        _BUILT[key] = build(spec, minter, only_areas)
    return _BUILT[key]


def transformed_score(rank: np.ndarray, universe: int) -> np.ndarray:
    """Exponential transformation of a rank (1 = most deprived) to 0..100 (technical report App. F)."""
    scaled = (universe + 1 - np.asarray(rank, dtype="float64")) / universe
    return -23.0 * np.log(1.0 - scaled * (1.0 - np.exp(-100.0 / 23.0)))


def reconstruct_imd_score(spec: DatasetSpec, concepts: dict[str, Concept]) -> pd.Series:
    """The IMD score from the published transformed domain scores (File 9)."""
    domains = _weighted_domains(concepts)
    columns = {c.notation: "decimal" for c in domains}
    path = spec.input_path(spec.inputs["transformed_scores"])
    frame = read_input(path, {"lsoa": "code", **columns}, key="lsoa").set_index("lsoa")
    return _weighted_sum(frame[[c.notation for c in domains]], domains)


def score_from_domain_ranks(
    spec: DatasetSpec, concepts: dict[str, Concept], sources: _MeasureSources
) -> pd.Series:
    """The IMD score from the published domain ranks, each transformed as File 9 is: a check on a
    copied score, never published (tied ranks make it differ from the official one by up to ~0.001)."""
    domains = _weighted_domains(concepts)
    ranks = pd.concat({c.notation: sources.values(c.notation, "rank") for c in domains}, axis=1, join="inner")
    transformed = ranks.apply(lambda rank: transformed_score(rank, spec.ranking_universe))
    return _weighted_sum(transformed, domains)


def _weighted_domains(concepts: dict[str, Concept]) -> list[Concept]:
    return [c for c in concepts.values() if c.weight is not None]


def _weighted_sum(transformed: pd.DataFrame, domains: list[Concept]) -> pd.Series:
    # The official weights sum to 0.999 (3 x 9.3%), and the published scores use them as they are.
    weights = np.array([c.weight for c in domains])
    return pd.Series(transformed.to_numpy() @ weights, index=transformed.index).round(SCORE_DECIMALS)


def _published_imd_scores(spec: DatasetSpec) -> pd.Series:
    path = spec.input_path(spec.inputs["published_imd_scores"])
    return read_input(path, {"lsoa": "code", "imd": "decimal"}, key="lsoa").set_index("lsoa")["imd"]


def _check_against_published(spec: DatasetSpec, reconstructed: pd.Series, how: str) -> str:
    path = spec.input_path(spec.inputs["published_imd_scores"])
    published = _published_imd_scores(spec)
    difference = (reconstructed.reindex(published.index) - published).abs()
    bad = difference[~(difference <= SCORE_TOLERANCE + 1e-9)]
    if len(bad):
        problems = [
            Problem(
                str(path),
                None,
                "imd",
                f"LSOA {code}: IMD score {how} differs "
                f"from the published one by {diff:.4f} (tolerance {SCORE_TOLERANCE})",
            )
            for code, diff in bad.items()
        ]
        raise InputError(problems)
    return (
        f"IMD score {how} agrees with {len(published):,} published scores "
        f"({path.name}): max |difference| {difference.max():.4f} <= {SCORE_TOLERANCE}"
    )


def _areas(spec: DatasetSpec) -> pd.DataFrame:
    path = spec.input_path(spec.inputs["areas"])
    columns = {"lsoa": "code", "lsoa_name": "text", "lad": "code", "lad_name": "text"}
    frame = read_input(path, columns, key="lsoa").rename(
        columns={"lsoa": "code", "lsoa_name": "name", "lad": "parent", "lad_name": "parent_name"}
    )
    if len(frame) != spec.ranking_universe:
        raise InputError(
            [
                Problem(
                    str(path),
                    None,
                    "lsoa",
                    f"{len(frame):,} areas, but the ranking universe is {spec.ranking_universe:,}",
                )
            ]
        )
    return frame.sort_values("code").reset_index(drop=True)


class _MeasureSources:
    """Finds the column that holds each (component, measure) among the dataset's inputs."""

    def __init__(self, spec: DatasetSpec):
        self.spec = spec
        self.imd_score: pd.Series | None = None  # reconstructed or copied, once checked
        self._frames: dict[str, pd.DataFrame] = {}

    def values(self, component: str, measure: str) -> pd.Series:
        if measure == "score" and component == "imd":
            return self.imd_score
        if measure == "score":
            return self._find(self.spec.inputs["scores"], component, "optional-decimal")
        if measure in ("rank", "decile"):
            return self._find(self.spec.inputs["ranks"], f"{component}_{measure}", "integer")
        if measure == "population":
            column = self.spec.denominators[component]
            return self._find([self.spec.inputs["population"]], column, "decimal")
        raise ValueError(f"{self.spec.name}: no source for measure {measure!r}")

    def _find(self, files: list[str], column: str, kind: str) -> pd.Series:
        for name in files:
            header = self._header(name)
            if column in header:
                path = self.spec.input_path(name)
                frame = read_input(path, {"lsoa": "code", column: kind}, key="lsoa")
                return frame.set_index("lsoa")[column]
        if kind == "optional-decimal":
            return pd.Series(dtype="float64")
        raise ValueError(f"{self.spec.name}: no input has column {column!r} (looked in {files})")

    def _header(self, name: str) -> list[str]:
        if name not in self._frames:
            self._frames[name] = pd.read_csv(self.spec.input_path(name), nrows=0)
        return [c.strip() for c in self._frames[name].columns]


def _unit(minter: Minter, concept: Concept, measure: str) -> str:
    if measure == "score":
        return concept.score_unit.rsplit("/", 1)[-1]
    return {"rank": "rank", "decile": "decile", "population": "persons"}[measure]
