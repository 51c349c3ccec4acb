"""Summary measures: the technical report's worked examples (methods.md §2.8 T-IMD-N1..N6) and the
official IoD2019 File 10 for all 317 districts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from publisher.compute.indices import imd
from publisher.compute.summaries import extent_weight, rank_descending, summarise
from publisher.inputs.datasets import load_datasets
from publisher.paths import DATA_DIR, SHARED_RAW_DIR
from publisher.rdf.uris import Minter

N = 32_844
ROUNDED_4DP = 5e-5 + 1e-12  # "equal at 4 dp": File 10 rounds proportions to 4 decimals
FILE10 = SHARED_RAW_DIR / "iod2019" / "File10_csv"


def pieces(ranks, pops, scores=None, deciles=None, group="A"):
    size = len(ranks)
    return pd.DataFrame(
        {
            "group": group,
            "rank": ranks,
            "population": pops,
            "score": scores if scores is not None else [np.nan] * size,
            "decile": deciles if deciles is not None else np.ceil(10 * np.array(ranks) / N),
        }
    )


def test_worked_example_average_rank_and_score():  # T-IMD-N1, N2
    pops = [1200, 1800, 1400, 1500, 1700]
    result = summarise(pieces([3000, 10000, 500, 1000, 20000], pops, [45.90, 26.51, 65.67, 59.14, 13.64]), N)
    assert result.loc["A", "average-rank"] == pytest.approx(25239.74, abs=0.005)
    assert result.loc["A", "average-score"] == pytest.approx(40.3466, abs=5e-5)


def test_worked_example_proportion():  # T-IMD-N3: 18 of 65 LSOAs in decile 1
    deciles = [1] * 18 + [5] * 47
    result = summarise(pieces([1] * 65, [100] * 65, deciles=deciles), N)
    assert result.loc["A", "proportion-most-deprived-10pc"] == pytest.approx(18 / 65)


def test_worked_example_extent():  # T-IMD-N4: 70,000 people, rank 9000 is percentile 28
    rest = 70000 - (1400 + 1500 + 1200 + 1800)
    ranks, pops = [500, 1000, 3000, 9000, 30000], [1400, 1500, 1200, 1800, rest]
    assert extent_weight(np.array([9000]), N)[0] == pytest.approx(0.14474, abs=5e-6)
    # The report multiplies by the rounded weight 0.14474; the exact weight gives 0.0622932.
    assert summarise(pieces(ranks, pops), N).loc["A", "extent"] == pytest.approx(0.062292, abs=2e-6)


def test_worked_example_local_concentration():  # T-IMD-N5: the fifth LSOA counts in part
    ranks, pops = [500, 1000, 3000, 10000, 20000, 30000], [1400, 1500, 1200, 1800, 1700, 62400]
    result = summarise(pieces(ranks, pops), N)
    assert result.loc["A", "local-concentration"] == pytest.approx(26302.142857, abs=1e-5)


def test_one_lsoa_area_has_local_concentration_equal_to_average_rank():
    result = summarise(pieces([10000], [2000]), N)
    assert result.loc["A", "local-concentration"] == pytest.approx(result.loc["A", "average-rank"])


def test_shares_split_an_lsoa_between_groups():  # T-W1 (methods.md §3.3)
    frame = pd.DataFrame(
        {
            "group": ["A", "B", "A"],
            "rank": [100, 100, 5000],
            "decile": [1, 1, 2],
            "score": [40.0, 40.0, 10.0],
            "population": [1000, 1000, 500],
            "share": [0.3, 0.7, 1.0],
        }
    )
    result = summarise(frame, N)
    assert result.loc["A", "average-score"] == pytest.approx(21.25)
    assert result.loc["B", "average-score"] == pytest.approx(40.0)
    assert result.loc["A", "proportion-most-deprived-10pc"] == pytest.approx(0.3 / 1.3)


def test_a_missing_score_makes_the_average_score_missing_not_partial():
    result = summarise(pieces([1, 2], [10, 10], [5.0, np.nan]), N)
    assert np.isnan(result.loc["A", "average-score"])


def test_ties_share_the_lowest_rank():
    assert rank_descending(pd.Series([0.5, 0.2, 0.2, 0.1])).tolist() == [1, 2, 2, 4]


# --- File 10: all 317 districts -----------------------------------------------------------------

DOMAIN_SHEETS = {
    "income": "Income",
    "employment": "Employment",
    "education": "Education",
    "health": "Health",
    "crime": "Crime",
    "barriers": "Barriers",
    "living-environment": "Living",
    "idaci": "IDACI",
    "idaopi": "IDAOPI",
}
DENOMINATOR = {"employment": "working_age", "idaci": "children", "idaopi": "older"}


def _file10(sheet: str) -> pd.DataFrame:
    path = FILE10 / f"IoD2019_File10_LAD_summaries_{sheet}.csv"
    if not path.exists():
        pytest.skip(f"official File 10 not found at {path} (it lives in ../shared/data/raw, not in data/)")
    frame = pd.read_csv(path)
    frame.columns = [c.strip() for c in frame.columns]
    return frame.set_index("Local Authority District code (2019)")


@pytest.fixture(scope="module")
def lsoas() -> pd.DataFrame:
    spec = next(s for s in load_datasets(DATA_DIR / "datasets.toml") if s.name == "imd-lsoa/2019")
    table = imd.build(spec, Minter("http://127.0.0.1:8080/")).table
    wide = table.pivot_table(
        index=["area", "component"], columns="measure", values="value", observed=True, dropna=False
    ).reset_index()
    lads = pd.read_csv(DATA_DIR / "iod2019" / "file1_imd.csv.gz", usecols=["lsoa", "lad"])
    population = pd.read_csv(DATA_DIR / "iod2019" / "file6_population.csv.gz").set_index("lsoa")
    wide = wide.merge(lads.rename(columns={"lsoa": "area", "lad": "group"}), on="area")
    for component, column in DENOMINATOR.items():  # File 6 columns by domain; IMD and the rest: total
        rows = wide["component"] == component
        wide.loc[rows, "population"] = population.loc[wide.loc[rows, "area"], column].to_numpy()
    return wide


def test_file10_imd_for_all_317_districts(lsoas):
    official = _file10("IMD")
    ours = summarise(lsoas[lsoas["component"] == "imd"], N).reindex(official.index)
    columns = {
        "average-score": "IMD - Average score",
        "average-rank": "IMD - Average rank",
        "proportion-most-deprived-10pc": "IMD - Proportion of LSOAs in most deprived 10% nationally",
        "extent": "IMD 2019 - Extent",
        "local-concentration": "IMD 2019 - Local concentration",
    }
    tolerance = {
        "average-score": 0.001,
        "average-rank": 0.2,
        "proportion-most-deprived-10pc": ROUNDED_4DP,
        "extent": 1e-4,
        "local-concentration": 0.2,
    }
    report = []
    for measure, column in columns.items():
        difference = (ours[measure] - official[column]).abs()
        same_rank = (rank_descending(ours[measure]) == _rank_column(official, column)).mean()
        report.append(f"{measure}: max |diff| {difference.max():.5f}, ranks identical {same_rank:.1%}")
        assert len(difference) == 317 and difference.max() <= tolerance[measure], report[-1]
        assert same_rank >= 0.99, report[-1]
    print("\n".join(report))
    assert ours.loc["E09000002", "average-score"] == pytest.approx(32.768, abs=0.001)
    assert rank_descending(ours["average-score"]).loc["E09000002"] == 21


def _rank_column(official: pd.DataFrame, column: str) -> pd.Series:
    prefix, _, measure = column.partition(" - ")
    return official[f"{prefix} - Rank of {measure[0].lower()}{measure[1:]}"]


OPEN_QUESTIONS = {
    # Measured with File 6 "Older population aged 60 and over" as the denominator: 17 districts differ by
    # more than 0.2, the largest 123.04 (E07000092), and 98.7% of ranks agree. No other File 6 column
    # fits better. To investigate with the geography issue (prison or institutional populations?).
    "idaopi": "IDAOPI average rank differs from File 10 by up to 123 in 17 districts",
    # Ages 0-15 denominator: 0.774 at most, every rank identical.
    "idaci": "IDACI average rank differs from File 10 by up to 0.774 (ranks all identical)",
    # One district (E07000136, Boston) differs by 0.225 against the 0.2 tolerance.
    "barriers": "Barriers average rank differs from File 10 by 0.225 in one district",
}


@pytest.mark.parametrize(
    "component",
    [
        pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=OPEN_QUESTIONS[c]))
        if c in OPEN_QUESTIONS
        else c
        for c in DOMAIN_SHEETS
    ],
)
def test_file10_domains_average_rank_and_proportion(lsoas, component):
    """Nationally only ranks and deciles are bundled for domains: average rank and proportion for all
    317 districts; average score only where every LSOA has a score (London)."""
    sheet = DOMAIN_SHEETS[component]
    official = _file10(sheet)
    label = next(c.split(" - ")[0] for c in official.columns if c.endswith(" - Average rank"))
    ours = summarise(lsoas[lsoas["component"] == component], N).reindex(official.index)
    rank_tolerance = 1.5 if component == "employment" else 0.2
    rank_difference = (ours["average-rank"] - official[f"{label} - Average rank"]).abs()
    proportion = official[next(c for c in official.columns if c.startswith(f"{label} - Proportion"))]
    proportion_difference = (ours["proportion-most-deprived-10pc"] - proportion).abs()
    same_rank = (rank_descending(ours["average-rank"]) == official[f"{label} - Rank of average rank"]).mean()
    print(
        f"{component}: average rank max |diff| {rank_difference.max():.3f}, ranks identical {same_rank:.1%}; "
        f"proportion max |diff| {proportion_difference.max():.6f}"
    )
    assert rank_difference.max() <= rank_tolerance and same_rank >= 0.99
    assert proportion_difference.max() <= ROUNDED_4DP
    london = ours["average-score"].dropna()
    assert set(london.index) == {c for c in official.index if c.startswith("E09")}  # the rest stated missing
    score_difference = (london - official.loc[london.index, f"{label} - Average score"]).abs()
    assert score_difference.max() <= 0.001
