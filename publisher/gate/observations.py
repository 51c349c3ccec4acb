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

from ..rdf import uris
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
CODED = ("area", "component", "unit", "status")  # columns whose values come from a list
DECIMAL = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"
INTEGER = r"^[+-]?[0-9]+$"
RULES = ["IC-1", "IC-11", "IC-12", "IC-13", "IC-15", "IC-16", "IC-17", "IC-19"]
RULES += ["LI-area-known", "LI-area-pattern", "LI-grouped", "LI-observation-iri", "LI-range"]


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


def _owned(frame: pl.DataFrame) -> pl.DataFrame:
    """A copy of a (small) frame with its own string buffers: a slice of a block's strings would keep
    the whole block in memory for as long as the slice lives."""
    return pl.DataFrame(frame.to_dict(as_series=False), schema=frame.schema)


def _distinct_counts(frame: pl.DataFrame, records: pl.DataFrame, columns: dict[str, int]) -> pl.DataFrame:
    """Counts of distinct values where a record repeats a predicate (rare: a repeated identical triple
    is one triple, two different values are two), so that the common case never hashes strings."""
    counts = [f"{c}_n" for c in [*columns, "value"]]
    repeated = records.filter(pl.any_horizontal(pl.col(c) > 1 for c in counts))
    if repeated.height == 0:
        return records
    rows = frame.filter(pl.col("run").is_in(repeated["run"].implode()))
    code, o = pl.col("code"), pl.col("o")
    exact = rows.group_by("run").agg(
        *[o.filter(code == number).n_unique().alias(f"{c}_n") for c, number in columns.items()],
        (pl.col("p") + " " + o).filter(code > max(columns.values())).n_unique().alias("value_n"),
    )
    return records.update(exact, on="run")


def _notation_of(column: str, mapping: dict[str, str]) -> pl.Expr:
    return pl.col(column).replace_strict({f"<{k}>": v for k, v in mapping.items()}, default=None)


@dataclass
class ObservationPass:
    """Feed blocks of triples (s, p, o), then ``finish``; ``other`` keeps every non-observation triple."""

    expected: Expected
    sample_points: frozenset[tuple[str, str]] | None = None  # (area, component): kept in ``sample``
    keep_all: bool = False  # keep every observation triple in ``sample`` (validate --full)
    findings: dict[tuple[str, str], Finding] = field(default_factory=dict)
    keys: list[pl.DataFrame] = field(default_factory=list)
    subjects: list[pl.Series] = field(default_factory=list)  # a 64-bit hash of each record's subject
    strays: list[pl.Series] = field(default_factory=list)  # subjects of records without type or dataset
    other: list[pl.DataFrame] = field(default_factory=list)
    sample: list[pl.DataFrame] = field(default_factory=list)
    coded: dict[str, dict[str, str]] = field(default_factory=dict)  # column → value → a subject
    observations: list[pl.DataFrame] = field(default_factory=list)  # observation triples of a block
    _carry: pl.DataFrame | None = None

    def feed(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Check a block; return its observation triples (for the CSVW digest)."""
        if self._carry is not None:
            frame = pl.concat([self._carry, frame])
        if frame.height == 0:
            return frame
        frame = frame.with_columns(pl.col("s").rle_id().alias("run"))
        last = frame["run"][-1]
        self._carry = frame.filter(pl.col("run") == last).drop("run")
        return self._check(frame.filter(pl.col("run") != last))

    def finish(self) -> pl.DataFrame:
        """Check the last subject; decide the rules that need the whole release."""
        carried = (
            self._carry if self._carry is not None else pl.DataFrame(schema=dict.fromkeys("spo", pl.String))
        )
        self._carry = None
        checked = self._check(carried.with_columns(pl.col("s").rle_id().alias("run")))
        self._whole_release_rules()
        return checked

    def _codes(self) -> dict[str, int]:
        """Predicate → small code: 1 rdf:type, then the single-valued ones, then measure properties."""
        e = self.expected
        predicates = [RDF_TYPE, *SINGLE.values(), f"<{e.component_dimension}>"]
        predicates += [f"<{iri}>" for iri in e.measures.values()]
        return {predicate: code for code, predicate in enumerate(predicates, start=1)}

    def _check(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Gather each run of one subject into a record; check the records that are observations."""
        if frame.height == 0:
            return frame.drop("run")
        codes = self._codes()
        frame = frame.with_columns(
            pl.col("p").replace_strict(codes, default=0, return_dtype=pl.UInt8).alias("code"),
            pl.col("run").set_sorted(),
        )
        records = self._records(frame, codes)
        is_observation = (
            pl.col("s").str.starts_with(f"<{self.expected.obs_prefix}")
            | pl.col("typed")
            | pl.col("dataset").is_not_null()
        )
        records = records.filter(is_observation)
        runs = records["run"]
        in_record = pl.col("run").is_in(runs.implode())
        self.other.append(_owned(frame.filter(~in_record).select("s", "p", "o")))
        observations = frame.filter(in_record).select("s", "p", "o")
        if records.height == 0:
            return observations
        self._keep_sample(frame, records)
        self._per_observation_rules(records)
        self._remember(records)
        return observations

    def _records(self, frame: pl.DataFrame, codes: dict[str, int]) -> pl.DataFrame:
        e = self.expected
        code, o = pl.col("code"), pl.col("o")
        columns = {
            **{c: codes[p] for c, p in SINGLE.items()},
            "component": codes[f"<{e.component_dimension}>"],
        }
        aggregations = [
            pl.col("s").first(),
            ((code == codes[RDF_TYPE]) & (o == QB_OBSERVATION)).any().alias("typed"),
        ]
        for column, number in columns.items():
            aggregations += [
                o.filter(code == number).first().alias(column),
                (code == number).sum().alias(f"{column}_n"),
            ]
        is_value = code > max(columns.values())
        aggregations += [
            pl.col("p").filter(is_value).first().alias("value_property"),
            o.filter(is_value).first().alias("value"),
            is_value.sum().alias("value_n"),
        ]
        records = _distinct_counts(
            frame, frame.group_by("run", maintain_order=True).agg(aggregations), columns
        )
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

    def _keep_sample(self, frame: pl.DataFrame, records: pl.DataFrame) -> None:
        if self.keep_all:
            chosen = records["run"]
        elif self.sample_points:
            keys = [f"{area}/{component}" for area, component in self.sample_points]
            segments = pl.col("s").str.strip_prefix(f"<{self.expected.obs_prefix}").str.split("/")
            point = pl.concat_str(
                segments.list.get(0, null_on_oob=True), pl.lit("/"), segments.list.get(2, null_on_oob=True)
            )
            chosen = records.filter(point.is_in(keys).fill_null(False))["run"]
        else:
            return
        if chosen.len():
            self.sample.append(
                _owned(frame.filter(pl.col("run").is_in(chosen.implode())).select("s", "p", "o"))
            )

    def _per_observation_rules(self, records: pl.DataFrame) -> None:
        rules = _rules(self.expected)
        counts = records.select(mask.sum().alias(str(i)) for i, (_, _, mask, _) in enumerate(rules)).row(0)
        for (rule, message, mask, detail), count in zip(rules, counts, strict=True):
            if count:
                shown = records.filter(mask).head(SHOWN)
                shown = shown.select(pl.col("s").str.strip_chars("<>"), detail.alias("d"))
                self._add(rule, message, [f"{s}: {d}" for s, d in shown.iter_rows()], count)

    def _add(self, rule: str, message: str, focus: list[str], count: int) -> None:
        found = self.findings.setdefault((rule, message), Finding("rdf", rule, message, [], 0))
        found.focus += focus[: SHOWN - len(found.focus)]
        found.count += count

    def _remember(self, records: pl.DataFrame) -> None:
        self.keys.append(  # categorical: a string column would keep the whole block's buffers alive
            records.select(
                pl.coalesce("area_code", "area").cast(pl.Categorical).alias("area"),
                pl.coalesce("period_code", "period").cast(pl.Categorical).alias("period"),
                pl.coalesce("component_code", "component").cast(pl.Categorical).alias("component"),
                pl.coalesce("measure", "measure_type").cast(pl.Categorical).alias("measure"),
                pl.col("measure").is_not_null().alias("in_structure"),
            )
        )
        self.subjects.append(records["s"].hash(seed=0))
        self.strays.append(_owned(records.filter(~pl.col("typed") & _none("dataset")).select("s"))["s"])
        for column in CODED:
            seen = self.coded.setdefault(column, {})
            firsts = records.filter(pl.col(column).is_not_null()).unique(column, keep="first")
            for value, subject in zip(firsts[column].to_list(), firsts["s"].to_list(), strict=True):
                seen.setdefault(value, subject)

    def _whole_release_rules(self) -> None:
        if not self.keys:
            return
        split = pl.concat(self.subjects).is_duplicated().sum()
        if split:
            strays = pl.concat(self.strays).unique(maintain_order=True).head(SHOWN).str.strip_chars("<>")
            focus = [f"{s}: its triples are not together" for s in strays] or [f"{split} records"]
            message = "each observation's triples are contiguous (localindex writes them so)"
            self._add("LI-grouped", message, focus, int(split))
        keys = pl.concat(self.keys)
        self.keys = [keys]
        key = ["area", "period", "component", "measure"]
        duplicates = (
            keys.filter(pl.col("measure").is_not_null()).group_by(key).len().filter(pl.col("len") > 1)
        )
        if duplicates.height:
            prefix = self.expected.obs_prefix
            shown = [
                f"{prefix}{a}/{y}/{c}/{m}: {n} observations share its area, period, component and measure"
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
        for column in CODED:
            if column not in members:  # the structure gives this property no code list
                continue
            allowed = members[column]
            bad = [(v, s) for v, s in self.coded.get(column, {}).items() if v not in allowed]
            if not bad:
                continue
            where = f"the area list {area_list}" if column == "area" else "the code list"
            focus = [f"{s.strip('<>')}: {v} is not in {where}" for v, s in bad[:SHOWN]]
            if column == "area":
                self._add("LI-area-known", "the reference area is in the dataset area list", focus, len(bad))
            else:
                self._add("IC-19", f"{column} values come from the structure's code list", focus, len(bad))

    @property
    def observation_count(self) -> int:
        return sum(frame.height for frame in self.keys)


def _none(column: str) -> pl.Expr:
    return pl.col(f"{column}_n") == 0


def _several(column: str) -> pl.Expr:
    return pl.col(f"{column}_n") > 1


def _say(*parts: str | pl.Expr) -> pl.Expr:
    """A message per record from literal text and column expressions (no format string: codes and
    patterns hold braces)."""
    return pl.concat_str(
        [pl.lit(p) if isinstance(p, str) else p.cast(pl.String).fill_null("(none)") for p in parts]
    )


def _joined(separator: str, *columns: str) -> list[pl.Expr]:
    parts: list[pl.Expr] = []
    for column in columns:
        parts += [pl.lit(separator), pl.col(column)] if parts else [pl.col(column)]
    return parts


def _rules(e: Expected) -> list[tuple[str, str, pl.Expr, pl.Expr]]:
    """(rule, message, which records break it, what to say about each) for every per-observation rule."""
    one_dataset = "an observation has exactly one qb:dataSet"
    rules: list[tuple[str, str, pl.Expr, pl.Expr]] = [
        ("IC-1", one_dataset, _none("dataset"), pl.lit("no qb:dataSet")),
        ("IC-1", one_dataset, _several("dataset"), _say(pl.col("dataset_n").cast(pl.String), " datasets")),
        (
            "IC-1",
            "an observation belongs to this release's dataset and is typed qb:Observation",
            (pl.col("dataset") != f"<{e.dataset}>") | ~pl.col("typed"),
            _say("dataset ", pl.col("dataset"), ", typed qb:Observation: ", pl.col("typed")),
        ),
    ]
    for column in DIMENSIONS:
        name = e.component_dimension if column == "component" else SINGLE[column].strip("<>")
        message = "an observation has a value for every dimension of its structure, and only one"
        rules.append(("IC-11", message, _none(column), pl.lit(f"no value for {name}")))
        rules.append(("IC-11", message, _several(column), pl.lit(f"two values for {name}")))
    value_property = pl.col("value_property")
    rules += [
        (
            "IC-13",
            "an observation has every attribute its structure declares required",
            _none("unit") | _several("unit"),
            _say(pl.col("unit_n").cast(pl.String), " values for ", uris.UNIT_MEASURE),
        ),
        (
            "IC-15",
            "an observation has a value for the measure its qb:measureType names "
            "(or obsStatus missing or suppressed)",
            pl.col("measure_type").is_not_null()
            & (value_property.is_null() | (value_property != pl.col("measure_type")))
            & ~pl.col("status").is_in([f"<{s}>" for s in e.withheld]).fill_null(False),
            _say("no value for ", pl.col("measure_type")),
        ),
        (
            "IC-16",
            "an observation has no value for any measure other than its qb:measureType",
            _several("value") | (value_property.is_not_null() & (value_property != pl.col("measure_type"))),
            _say("measure type ", pl.col("measure_type"), " but a value for ", value_property),
        ),
        (
            "IC-19",
            "the measure type is a measure of the structure",
            pl.col("measure_type").is_not_null() & pl.col("measure").is_null(),
            _say(pl.col("measure_type"), " is not a measure of the structure"),
        ),
        (
            "LI-area-pattern",
            "the reference area is an ONS geography URI with a code of the dataset level",
            pl.col("area").is_not_null() & ~pl.col("area_code").str.contains(e.area_pattern).fill_null(False),
            _say(pl.col("area"), f" does not match {e.area_pattern}"),
        ),
        (
            "LI-observation-iri",
            "the observation IRI is the one minted from its dimension values",
            (
                pl.col("s")
                != pl.concat_str(
                    pl.lit(f"<{e.obs_prefix}"),
                    *_joined("/", "area_code", "period_code", "component_code", "measure"),
                    pl.lit(">"),
                )
            ).fill_null(False),
            _say("dimensions say ", *_joined(" ", "area", "period", "component", "measure_type")),
        ),
    ]
    return rules + _value_rules(e)


def _outside(number: pl.Expr, low: float | None, high: float | None) -> pl.Expr:
    outside = pl.lit(False)
    if low is not None:
        outside = outside | (number < low)
    if high is not None:
        outside = outside | (number > high)
    return outside.fill_null(False)


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
            measure.is_not_null()
            & value.is_not_null()
            & (~lexical_ok | (pl.col("datatype") != expected_type).fill_null(True)),
            _say(measure, " value ", value, " is not a valid ", expected_type),
        ),
        (
            "LI-range",
            message,
            measure.is_in(list(e.rank_measures))
            & number.is_not_null()
            & ((number % 1 != 0) | (number < 1) | (number > e.universe)),
            _say(measure, " ", number, f" is outside 1..{e.universe}"),
        ),
    ]
    for notation, (low, high) in e.bounds.items():
        outside = (measure == notation) & _outside(number, low, high)
        rules.append(("LI-range", message, outside, _say(measure, " ", number, f" is outside {low}..{high}")))
    for iri, (low, high) in e.score_bounds.items():
        outside = (measure == "score") & (pl.col("component") == f"<{iri}>") & _outside(number, low, high)
        said = _say("score ", number, f" is outside {low}..{high} of ", pl.col("component"))
        rules.append(("LI-range", message, outside, said))
    return rules
