"""The linear RDF layer of the gate: every observation of a release's own N-Triples, in one pass.

The file is read block by block (publisher/gate/ntriples.py); each block's observation triples are
gathered per subject into one record (its dataset, dimensions, measure type, value, unit, status) and
every per-observation rule is a vectorised expression over those records. What needs the whole
release (duplicate keys, complete points, area list membership, code lists) is kept as short keys and
distinct values and decided at the end. Memory grows with the observation count, not the triple
count, and the time with the file: no store is built to check a release.

An observation's triples must be contiguous (localindex writes them so); a file that scatters them
makes partial records, which fail IC-1/IC-11 below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from .. import uris
from .report import SHOWN, Finding

QB_OBSERVATION = f"<{uris.QB}Observation>"
RDF_TYPE = f"<{uris.RDF_TYPE}>"
QB_DATASET = f"<{uris.QB}dataSet>"
SINGLE = {  # record column → predicate; each must have at most one value
    "dataset": QB_DATASET,
    "area": f"<{uris.REF_AREA}>",
    "period": f"<{uris.REF_PERIOD}>",
    "measure_type": f"<{uris.QB}measureType>",
    "unit": f"<{uris.UNIT_MEASURE}>",
    "status": f"<{uris.OBS_STATUS}>",
}
DIMENSIONS = ("area", "period", "component", "measure_type")
DECIMAL = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"
INTEGER = r"^[+-]?[0-9]+$"
RULES = ["IC-1", "IC-11", "IC-12", "IC-13", "IC-15", "IC-16", "IC-17", "IC-19"]
RULES += ["LI-area-known", "LI-area-pattern", "LI-observation-iri", "LI-range"]


@dataclass(frozen=True)
class Expected:
    """What every observation must say, resolved from the release's structure (CubeShape)."""

    dataset: str
    obs_prefix: str
    component_dimension: str
    measures: dict[str, str]  # notation → measure property IRI
    datatypes: dict[str, str]  # notation → xsd datatype IRI
    rank_measures: frozenset[str]
    universe: int
    bounds: dict[str, tuple[float | None, float | None]]
    score_bounds: dict[str, tuple[float | None, float | None]]  # concept IRI → score range
    concepts: dict[str, str]  # concept IRI → notation
    area_pattern: str  # the dataset level's GSS code pattern, anchored
    withheld: frozenset[str]  # obsStatus IRIs that stand for a missing value


def _notation_of(column: str, mapping: dict[str, str]) -> pl.Expr:
    return pl.col(column).replace_strict({f"<{k}>": v for k, v in mapping.items()}, default=None)


@dataclass
class ObservationPass:
    """Feed blocks of triples (s, p, o), then ``finish``; ``other`` keeps every non-observation triple."""

    expected: Expected
    sample_areas: frozenset[str] | None = None  # observations of these areas are kept in ``sample``
    keep_all: bool = False  # keep every observation triple in ``sample`` (validate --full)
    findings: dict[tuple[str, str], Finding] = field(default_factory=dict)
    keys: list[pl.DataFrame] = field(default_factory=list)
    other: list[pl.DataFrame] = field(default_factory=list)
    sample: list[pl.DataFrame] = field(default_factory=list)
    coded: dict[str, dict[str, str]] = field(default_factory=dict)  # column → value → first subject
    observations: list[pl.DataFrame] = field(default_factory=list)  # observation triples of a block
    _carry: pl.DataFrame | None = None

    def feed(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Check a block; return its observation triples (for the CSVW digest)."""
        if self._carry is not None:
            frame = pl.concat([self._carry, frame])
        if frame.height == 0:
            return frame
        last = frame["s"][-1]
        self._carry = frame.filter(pl.col("s") == last)
        return self._check(frame.filter(pl.col("s") != last))

    def finish(self) -> pl.DataFrame:
        """Check the last subject; decide the rules that need the whole release."""
        carried = self._check(self._carry) if self._carry is not None else self._carry
        self._carry = None
        self._whole_release_rules()
        return carried if carried is not None else pl.DataFrame(schema=["s", "p", "o"])

    def _check(self, frame: pl.DataFrame) -> pl.DataFrame:
        e = self.expected
        p, o = pl.col("p"), pl.col("o")
        marked = frame.filter(((p == RDF_TYPE) & (o == QB_OBSERVATION)) | (p == QB_DATASET))["s"].unique()
        is_observation = pl.col("s").str.starts_with(f"<{e.obs_prefix}") | pl.col("s").is_in(marked)
        frame = frame.with_columns(is_observation.alias("obs"))
        self.other.append(frame.filter(~pl.col("obs")).drop("obs"))
        observations = frame.filter(pl.col("obs")).drop("obs")
        if observations.height == 0:
            return observations
        records = self._records(observations)
        self._keep_sample(observations, records)
        self._per_observation_rules(records)
        self._remember(records)
        return observations

    def _records(self, observations: pl.DataFrame) -> pl.DataFrame:
        e = self.expected
        p, o = pl.col("p"), pl.col("o")
        measure_properties = [f"<{iri}>" for iri in e.measures.values()]
        predicates = {**SINGLE, "component": f"<{e.component_dimension}>"}
        aggregations = [((p == RDF_TYPE) & (o == QB_OBSERVATION)).any().alias("typed")]
        for column, predicate in predicates.items():
            aggregations += [
                o.filter(p == predicate).first().alias(column),
                o.filter(p == predicate).n_unique().alias(f"{column}_n"),
            ]
        is_value = p.is_in(measure_properties)
        aggregations += [
            p.filter(is_value).first().alias("value_property"),
            o.filter(is_value).first().alias("value"),
            (p + " " + o).filter(is_value).n_unique().alias("value_n"),
        ]
        records = observations.group_by("s", maintain_order=True).agg(aggregations)
        lexical = pl.col("value").str.extract(r'^"([^"]*)"', 1)
        area_prefix = f"<{uris.GEOGRAPHY}"
        return records.with_columns(
            pl.col("measure_type")
            .replace_strict({f"<{i}>": n for n, i in e.measures.items()}, default=None)
            .alias("measure"),
            _notation_of("component", e.concepts).alias("component_code"),
            pl.when(pl.col("area").str.starts_with(area_prefix))
            .then(pl.col("area").str.slice(len(area_prefix)).str.strip_suffix(">"))
            .alias("area_code"),
            pl.col("period")
            .str.extract(f"^<(?:{re.escape(uris.YEAR)}|{re.escape(uris.GOVERNMENT_YEAR)})([^/>]+)>$", 1)
            .alias("period_code"),
            lexical.alias("lexical"),
            pl.col("value").str.extract(r"\^\^<([^>]*)>$", 1).alias("datatype"),
            lexical.cast(pl.Float64, strict=False).alias("number"),
        )

    def _keep_sample(self, observations: pl.DataFrame, records: pl.DataFrame) -> None:
        if self.keep_all:
            self.sample.append(observations)
        elif self.sample_areas:
            chosen = records.filter(pl.col("area_code").is_in(list(self.sample_areas)))["s"]
            if chosen.len():
                self.sample.append(observations.filter(pl.col("s").is_in(chosen)))

    def _per_observation_rules(self, records: pl.DataFrame) -> None:
        e = self.expected
        for rule, message, mask, detail in _rules(e):
            flagged = records.filter(mask)
            if flagged.height:
                shown = flagged.head(SHOWN).select(pl.col("s").str.strip_chars("<>"), detail.alias("d"))
                self._add(rule, message, [f"{s}: {d}" for s, d in shown.iter_rows()], flagged.height)

    def _add(self, rule: str, message: str, focus: list[str], count: int) -> None:
        found = self.findings.setdefault((rule, message), Finding("rdf", rule, message, [], 0))
        found.focus += focus[: SHOWN - len(found.focus)]
        found.count += count

    def _remember(self, records: pl.DataFrame) -> None:
        self.keys.append(
            records.select(
                pl.coalesce("area_code", "area").alias("area"),
                pl.coalesce("period_code", "period").alias("period"),
                pl.coalesce("component_code", "component").alias("component"),
                pl.coalesce("measure", "measure_type").alias("measure"),
                pl.col("measure").is_not_null().alias("in_structure"),
            )
        )
        for column in ("area", "component", "measure_type", "unit", "status"):
            seen = self.coded.setdefault(column, {})
            firsts = records.filter(pl.col(column).is_not_null()).unique(column, keep="first")
            for value, subject in firsts.select(column, "s").iter_rows():
                seen.setdefault(value, subject.strip("<>"))

    def _whole_release_rules(self) -> None:
        if not self.keys:
            return
        keys = pl.concat(self.keys)
        self.keys = [keys]
        key = ["area", "period", "component", "measure"]
        duplicates = (
            keys.filter(pl.col("measure").is_not_null()).group_by(key).len().filter(pl.col("len") > 1)
        )
        if duplicates.height:
            shown = [
                f"{n} observations share area {a}, period {y}, component {c}, measure {m}"
                for a, y, c, m, n in duplicates.head(SHOWN).iter_rows()
            ]
            self._add("IC-12", "no two observations have the same dimension values", shown, duplicates.height)
        wanted = len(self.expected.measures)
        points = (
            keys.filter(pl.col("in_structure"))
            .group_by(["area", "period", "component"])
            .agg(pl.col("measure").n_unique().alias("n"))
            .filter(pl.col("n") != wanted)
        )
        if points.height:
            shown = [
                f"{a} {y} {c}: {n} of {wanted} measures" for a, y, c, n in points.head(SHOWN).iter_rows()
            ]
            self._add("IC-17", f"point lacks some of the {wanted} measures", shown, points.height)

    def check_codes(self, members: dict[str, set[str]], area_list: str) -> None:
        """IC-19 and LI-area-known, once the release's code lists (``members``: column → allowed values,
        in N-Triples syntax) and its area list are known."""
        for column, allowed in members.items():
            if column == "area":
                continue
            bad = {v: s for v, s in self.coded.get(column, {}).items() if v not in allowed}
            if bad:
                focus = [f"{s}: {v} is not in the code list" for v, s in list(bad.items())[:SHOWN]]
                self._add("IC-19", f"{column} values come from the structure's code list", focus, len(bad))
        unknown = {v: s for v, s in self.coded.get("area", {}).items() if v not in members.get("area", set())}
        if unknown:
            focus = [
                f"{s}: {v} is not in the area list {area_list}" for v, s in list(unknown.items())[:SHOWN]
            ]
            self._add("LI-area-known", "the reference area is in the dataset area list", focus, len(unknown))

    @property
    def observation_count(self) -> int:
        return sum(frame.height for frame in self.keys)


def _rules(e: Expected) -> list[tuple[str, str, pl.Expr, pl.Expr]]:
    """(rule, message, which records break it, what to say about each) for every per-observation rule."""
    rules: list[tuple[str, str, pl.Expr, pl.Expr]] = [
        (
            "IC-1",
            "an observation has exactly one qb:dataSet",
            pl.col("dataset_n") == 0,
            pl.lit("no qb:dataSet"),
        ),
        (
            "IC-1",
            "an observation has exactly one qb:dataSet",
            pl.col("dataset_n") > 1,
            pl.lit("two datasets"),
        ),
        (
            "IC-1",
            "an observation belongs to this release's dataset and is typed qb:Observation",
            (pl.col("dataset_n") == 1) & ((pl.col("dataset") != f"<{e.dataset}>") | ~pl.col("typed")),
            pl.concat_str(pl.lit("dataset "), "dataset", pl.lit(", typed "), pl.col("typed").cast(pl.String)),
        ),
    ]
    for column in DIMENSIONS:
        name = e.component_dimension if column == "component" else SINGLE[column].strip("<>")
        message = "an observation has a value for every dimension of its structure, and only one"
        rules.append(("IC-11", message, pl.col(f"{column}_n") == 0, pl.lit(f"no value for {name}")))
        rules.append(("IC-11", message, pl.col(f"{column}_n") > 1, pl.lit(f"two values for {name}")))
    rules += [
        (
            "IC-13",
            "an observation has every attribute its structure declares required",
            pl.col("unit_n") != 1,
            pl.format("{} values for {}", pl.col("unit_n"), pl.lit(uris.UNIT_MEASURE)),
        ),
        (
            "IC-15",
            "an observation has a value for the measure its qb:measureType names "
            "(or obsStatus missing or suppressed)",
            pl.col("measure_type").is_not_null()
            & (pl.col("value_property").is_null() | (pl.col("value_property") != pl.col("measure_type")))
            & ~pl.col("status").is_in([f"<{s}>" for s in e.withheld]).fill_null(False),
            pl.format("no value for {}", pl.col("measure_type")),
        ),
        (
            "IC-16",
            "an observation has no value for any measure other than its qb:measureType",
            (pl.col("value_n") > 1)
            | (pl.col("value_property").is_not_null() & (pl.col("value_property") != pl.col("measure_type"))),
            pl.format("measure type {} but a value for {}", pl.col("measure_type"), pl.col("value_property")),
        ),
        (
            "IC-19",
            "the measure type is a measure of the structure",
            pl.col("measure_type").is_not_null() & pl.col("measure").is_null(),
            pl.format("{} is not a measure of the structure", pl.col("measure_type")),
        ),
        (
            "LI-area-pattern",
            "the reference area is an ONS geography URI with a code of the dataset level",
            pl.col("area").is_not_null() & ~pl.col("area_code").str.contains(e.area_pattern).fill_null(False),
            pl.format("{} does not match {}", pl.col("area"), pl.lit(e.area_pattern)),
        ),
        (
            "LI-observation-iri",
            "the observation IRI is the one minted from its dimension values",
            pl.col("s")
            != pl.format(
                "<{}{}/{}/{}/{}>",
                pl.lit(e.obs_prefix),
                "area_code",
                "period_code",
                "component_code",
                "measure",
            ),
            pl.format("dimensions say {} {} {} {}", "area", "period", "component", "measure_type"),
        ),
    ]
    rules += _value_rules(e)
    return rules


def _value_rules(e: Expected) -> list[tuple[str, str, pl.Expr, pl.Expr]]:
    message = (
        "values are of the measure datatype and in range: ranks 1..N, each measure within its "
        "li:minimumValue and li:maximumValue, score within its component range"
    )
    value, number, measure = pl.col("value"), pl.col("number"), pl.col("measure")
    expected_type = measure.replace_strict(e.datatypes, default=None)
    integer = expected_type == uris.XSD + "integer"
    lexical_ok = pl.when(integer).then(pl.col("lexical").str.contains(INTEGER))
    lexical_ok = lexical_ok.otherwise(pl.col("lexical").str.contains(DECIMAL)).fill_null(False)
    rules = [
        (
            "LI-range",
            message,
            value.is_not_null() & (~lexical_ok | (pl.col("datatype") != expected_type).fill_null(True)),
            pl.format("{} value {} is not a valid {}", "measure", value, expected_type),
        ),
        (
            "LI-range",
            message,
            measure.is_in(list(e.rank_measures))
            & number.is_not_null()
            & ((number % 1 != 0) | (number < 1) | (number > e.universe)),
            pl.format("{} {} is outside 1..{}", "measure", number, pl.lit(e.universe)),
        ),
    ]
    for notation, (low, high) in e.bounds.items():
        outside = pl.lit(False)
        if low is not None:
            outside = outside | (number < low)
        if high is not None:
            outside = outside | (number > high)
        rules.append(
            (
                "LI-range",
                message,
                (measure == notation) & outside.fill_null(False),
                pl.format("{} {} is outside {}..{}", "measure", number, pl.lit(str(low)), pl.lit(str(high))),
            )
        )
    for iri, (low, high) in e.score_bounds.items():
        of_concept = (measure == "score") & (pl.col("component") == f"<{iri}>")
        outside = pl.lit(False)
        if low is not None:
            outside = outside | (number < low)
        if high is not None:
            outside = outside | (number > high)
        rules.append(
            (
                "LI-range",
                message,
                of_concept & outside.fill_null(False),
                pl.format(
                    "score {} is outside {}..{} of {}",
                    number,
                    pl.lit(str(low)),
                    pl.lit(str(high)),
                    "component",
                ),
            )
        )
    return rules
