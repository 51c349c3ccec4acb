"""The validation gate (DESIGN.md §5): tabular checks, SHACL, then linear SPARQL checks.

Every finding names its layer, the rule, the offending resources (a few, with the total) and why.
Nothing is published unless the report has no findings.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from rdflib import Graph, Namespace

from . import uris
from .cube import XSD_INTEGER, CubeShape
from .datasets import DatasetSpec
from .paths import CHECKS_DIR, SHAPES_DIR
from .store import bulk_load_gz
from .tidy import KEY
from .uris import Minter

SHOWN = 10
SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass
class Finding:
    layer: str
    rule: str
    message: str
    focus: list[str]
    count: int

    def render(self) -> str:
        lines = [f"  [{self.layer}] {self.rule}: {self.message} ({self.count:,} found)"]
        lines += [f"      {item}" for item in self.focus[:SHOWN]]
        if self.count > len(self.focus[:SHOWN]):
            lines.append(f"      ... and {self.count - len(self.focus[:SHOWN]):,} more")
        return "\n".join(lines)


@dataclass
class Report:
    dataset: str
    findings: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def extend(self, layer: str, rules: list[str], findings: list[Finding]) -> None:
        self.checked += [f"{layer}: {rule}" for rule in rules]
        self.findings += findings

    def render(self) -> str:
        if self.ok:
            return f"{self.dataset}: valid ({len(self.checked)} checks passed)"
        rules = sorted({f.rule for f in self.findings})
        head = f"{self.dataset}: INVALID, {len(self.findings)} finding(s) on rules {', '.join(rules)}"
        return "\n".join([head, *(f.render() for f in self.findings)])


# --- Layer 1: the tidy table -------------------------------------------------------------------


def check_table(
    table: pd.DataFrame, spec: DatasetSpec, shape: CubeShape, minter: Minter, area_codes: set[str]
) -> list[Finding]:
    """Tabular rules over the tidy table, vectorised; offending observations named by URI."""
    findings: list[Finding] = []
    concepts = {c.notation: c for c in shape.concepts}

    def flag(rule: str, message: str, mask: pd.Series) -> None:
        if mask.any():
            first = table.loc[mask, KEY].head(SHOWN).astype(str).itertuples(index=False)
            focus = [shape.observation(*row) for row in first]
            findings.append(Finding("tabular", rule, message, focus, int(mask.sum())))

    key_missing = table[KEY].isna().any(axis=1) | table[KEY].astype(str).eq("").any(axis=1)
    flag("IC-11", "observation lacks a value for area, period, component or measure", key_missing)
    flag(
        "IC-12",
        "observations with the same area, period, component and measure",
        table.duplicated(KEY, keep=False),
    )
    flag(
        "LI-area-pattern",
        f"area code does not match {spec.area_code_pattern}",
        ~table["area"].astype(str).str.fullmatch(spec.area_code_pattern.strip("^$")),
    )
    flag("LI-area-known", "area is not in the dataset's area list", ~table["area"].isin(area_codes))
    flag(
        "IC-19",
        f"component is not in the {shape.component_scheme} code list",
        ~table["component"].isin(list(concepts)),
    )
    flag("IC-19", "measure is not a measure of the structure", ~table["measure"].isin(list(shape.measures)))
    flag("IC-13", "observation has no unit", table["unit"].isna() | table["unit"].astype(str).eq(""))
    flag(
        "IC-15",
        "observation has no value and no status 'missing' or 'suppressed'",
        table["value"].isna() & ~table["status"].astype(str).isin(["missing", "suppressed"]),
    )
    flag(
        "IC-19",
        "status is not in the obs-status code list",
        ~table["status"].astype(str).isin(["", "missing", "suppressed", "imputed", "provisional", "partial"]),
    )

    in_structure = table["measure"].where(table["measure"].isin(list(shape.measures)))
    points = in_structure.groupby(
        [table["area"], table["period"], table["component"]], observed=True
    ).transform("nunique")
    flag("IC-17", f"point lacks some of the {len(shape.measures)} measures", points != len(shape.measures))

    value, measure = table["value"], table["measure"]
    flag("LI-range", "value is not a finite number", value.notna() & ~np.isfinite(value))
    rank = measure.isin(list(shape.rank_measures))
    flag(
        "LI-range",
        f"rank is not a whole number from 1 to {spec.ranking_universe}",
        rank & value.notna() & ((value % 1 != 0) | (value < 1) | (value > spec.ranking_universe)),
    )
    integer = measure.isin([m for m, t in shape.datatypes.items() if t == XSD_INTEGER])
    fractional = integer & value.notna() & (value % 1 != 0)
    flag("LI-range", "value of an integer measure is not a whole number", fractional)
    for notation, (low, high) in shape.bounds.items():
        outside = (value < low) if low is not None else pd.Series(False, index=value.index)
        if high is not None:
            outside |= value > high
        flag("LI-range", f"{notation} is outside {_interval(low, high)}", measure.eq(notation) & outside)
    score = measure.eq("score")
    for concept in concepts.values():
        of_concept = score & table["component"].eq(concept.notation)
        if concept.score_minimum is not None:
            flag(
                "LI-range",
                f"{concept.notation} score is below {concept.score_minimum}",
                of_concept & (value < float(concept.score_minimum)),
            )
        if concept.score_maximum is not None:
            flag(
                "LI-range",
                f"{concept.notation} score is above {concept.score_maximum}",
                of_concept & (value > float(concept.score_maximum)),
            )
    return findings


def _interval(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{low:g}..{high:g}"
    return f">= {low:g}" if low is not None else f"<= {high:g}"


TABLE_RULES = [
    "IC-11",
    "IC-12",
    "IC-13",
    "IC-15",
    "IC-17",
    "IC-19",
    "LI-area-pattern",
    "LI-area-known",
    "LI-range",
]


# --- Layer 2: SHACL ------------------------------------------------------------------------------


def generic_shapes() -> Graph:
    graph = Graph()
    graph.parse(SHAPES_DIR / "datacube.ttl", format="turtle")
    return graph


def check_shacl(data: Graph, shapes: Graph) -> list[Finding]:
    conforms, results, _ = shacl_validate(
        data, shacl_graph=shapes, inference="none", advanced=False, meta_shacl=False, allow_warnings=False
    )
    if conforms:
        return []
    grouped: dict[str, list[str]] = {}
    for result in results.subjects(SH.resultSeverity, SH.Violation):
        message = str(results.value(result, SH.resultMessage) or results.value(result, SH.sourceShape))
        grouped.setdefault(message, []).append(str(results.value(result, SH.focusNode)))
    findings = []
    for message, focus in sorted(grouped.items()):
        rule, _, text = message.partition(": ")
        focus = sorted(set(focus))
        findings.append(Finding("shacl", rule, text or message, focus[:SHOWN], len(focus)))
    return findings


# --- Layer 3: linear SPARQL checks ---------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    name: str
    rule: str
    message: str
    query: str

    @classmethod
    def load_all(cls) -> list[Check]:
        checks = []
        for path in sorted(CHECKS_DIR.glob("*.rq")):
            text = path.read_text()
            rule = re.search(r"^# rule: (.+)$", text, re.M)
            message = re.search(r"^# message: (.+)$", text, re.M)
            if not (rule and message):
                raise ValueError(f"{path}: needs '# rule:' and '# message:' header lines")
            checks.append(cls(path.stem, rule.group(1).strip(), message.group(1).strip(), text))
        return checks

    def bind(self, constants: dict[str, str]) -> str:
        """Replace ?name by its per-dataset constant (IRIs and numbers minted by localindex itself)."""
        return re.sub(r"\?(\w+)\b", lambda m: constants.get(m.group(1), m.group(0)), self.query)


def check_sparql(
    store: ox.Store, graphs: list[str], spec: DatasetSpec, shape: CubeShape, minter: Minter
) -> tuple[list[str], list[Finding]]:
    """Run every shapes/checks/*.rq over the union of ``graphs``; return (rules run, findings)."""
    constants = check_constants(
        shape.dataset,
        spec.ranking_universe,
        shape.area_list,
        spec.area_code_pattern,
        shape.component_dimension,
    )
    return run_sparql_checks(store, graphs, constants, minter.defs)


def check_constants(
    dataset: str, universe: int, area_list: str, area_code_pattern: str, component_dimension: str
) -> dict[str, str]:
    """The per-dataset values the checks' variables stand for."""
    area_pattern = "^" + re.escape(uris.GEOGRAPHY) + area_code_pattern.lstrip("^")
    return {
        "dataset": f"<{dataset}>",
        "universe": str(int(universe)),
        "areaList": f"<{area_list}>",
        "areaPattern": json.dumps(area_pattern),
        "componentDimension": f"<{component_dimension}>",
    }


def run_sparql_checks(
    store: ox.Store, graphs: list[str], constants: dict[str, str], definitions: str
) -> tuple[list[str], list[Finding]]:
    """The checks with their variables bound, over the union of ``graphs`` (also used by the hub on
    what it harvests); relative IRIs in the checks resolve against ``definitions``."""
    default_graph = [ox.NamedNode(g) for g in graphs]

    def run(check: Check) -> Finding | None:
        solutions = store.query(check.bind(constants), base_iri=definitions, default_graph=default_graph)
        focus, count = [], 0
        for solution in solutions:
            count += 1
            if len(focus) < SHOWN:
                node, detail = solution["focus"], solution["detail"]
                focus.append(f"{getattr(node, 'value', node)}: {getattr(detail, 'value', detail)}")
        return Finding("sparql", check.rule, check.message, focus, count) if count else None

    checks = Check.load_all()
    with ThreadPoolExecutor(max_workers=2) as pool:  # pyoxigraph releases the GIL while it evaluates
        results = list(pool.map(run, checks))
    return [c.rule for c in checks], [f for f in results if f is not None]


def sample_areas(area_codes: list[str], size: int) -> list[str]:
    """A deterministic, evenly spread sample of areas (whole dimension points are checked)."""
    ordered = sorted(area_codes)
    if len(ordered) <= size:
        return ordered
    step = len(ordered) / size
    return [ordered[int(i * step)] for i in range(size)]


def graph_for_shacl(store: ox.Store, graphs: list[str], areas: list[str] | None) -> Graph:
    """The data pyshacl sees: metadata and every observation of ``areas``, or everything (None)."""
    default_graph = [ox.NamedNode(g) for g in graphs]
    if areas is None:
        query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    else:
        query = (SHAPES_DIR / "shacl-sample.rq").read_text()
        query = query.replace("?sampleAreas", " ".join(f"<{uris.area(a)}>" for a in areas))
    triples = store.query(query, default_graph=default_graph)
    data = Graph()
    data.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    return data


def stage_file(path: Path, graph: str) -> ox.Store:
    """A new in-memory store holding a release N-Triples file (gzip) in ``graph``."""
    store = ox.Store()
    bulk_load_gz(store, graph, path)
    return store
