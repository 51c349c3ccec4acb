"""The tabular layer of the gate: rules over the tidy table before any RDF is written, vectorised,
offending observations named by URI."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..compute.tidy import KEY
from ..inputs.datasets import DatasetSpec
from ..rdf.cube import XSD_INTEGER, CubeShape
from ..rdf.uris import Minter
from .report import SHOWN, Finding


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
