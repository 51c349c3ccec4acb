"""The official global Social Progress Index 2011-2025 and the reference parameters inferred from it
(../shared/data/raw/spi_global, ../shared/data/reference): a non-commercial fixture, never bundled.
Used by tests/test_spi_global.py and bench/spi.py."""

from __future__ import annotations

import functools
import re

import pandas as pd

from publisher.compute.spi import Method
from publisher.paths import SHARED_RAW_DIR

SERIES = SHARED_RAW_DIR / "spi_global" / "SPI_2011-2025_scores_and_indicators.csv"
PARAMETERS = SHARED_RAW_DIR.parent / "reference" / "spi_global_parameters.csv"
DIMENSIONS = ["Basic Needs", "Foundations of Wellbeing", "Opportunity"]


def _plain(name: str) -> str:
    """Header names differ in spacing (U+00A0, doubled and leading spaces): compare them plainly."""
    return re.sub(r"\s+", " ", name.replace("\u00a0", " ")).strip()


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@functools.cache
def load_global_spi() -> tuple[Method, pd.DataFrame, pd.DataFrame]:
    """Method with the reference's parameters (weights as rounded), raw values, official scores.

    Raises FileNotFoundError naming the file when ../shared is not beside the checkout."""
    for path in (SERIES, PARAMETERS):
        if not path.exists():
            raise FileNotFoundError(
                f"{path.name} not found at {path} (a fixture in ../shared, never bundled)"
            )
    parameters = pd.read_csv(PARAMETERS)
    series = pd.read_csv(SERIES, encoding="utf-8-sig")
    series.columns = [_plain(c) for c in series.columns]
    method = Method.from_mapping(
        {
            "method": {
                "id": "spi-global",
                "version": "test",
                "title": "Global Social Progress Index (parameters inferred in ../shared/data/reference)",
                "description": "",
                "index_label": "Social Progress Index",
            },
            "dimension": [{"id": _slug(d), "label": d} for d in DIMENSIONS],
            "component": [
                {"id": _slug(c), "label": c, "dimension": _slug(d), "weights": "explicit"}
                for c, d in parameters[["component", "dimension"]].drop_duplicates().itertuples(index=False)
            ],
            "indicator": [
                {
                    "id": _slug(row.indicator),
                    "label": row.indicator,
                    "component": _slug(row.component),
                    "unit": row.raw_column,
                    "utopia": row.utopia_inferred,
                    "dystopia": row.dystopia_inferred,
                    "transform": {"none": "identity"}.get(row.transform, row.transform),
                    "weight": row.weight_inferred,
                }
                for row in parameters.itertuples(index=False)
            ],
        },
        str(PARAMETERS),
    )
    series = series.rename(columns={"SPI country code": "unit", "SPI year": "period"})
    series["period"] = series["period"].astype(str)
    series = series.set_index(["unit", "period"])
    raw = pd.DataFrame({_slug(r.indicator): series[_plain(r.raw_column)] for r in parameters.itertuples()})
    official = pd.DataFrame(
        {
            **{_slug(r.indicator): series[_plain(r.score_column)] for r in parameters.itertuples()},
            **{_slug(c): series[c] for c in parameters["component"].unique()},
            **{_slug(d): series[d] for d in DIMENSIONS},
            "index": series["Social Progress Index"],
            "ranked": series["Status"].eq("Ranked"),
        }
    )
    return method, raw, official
