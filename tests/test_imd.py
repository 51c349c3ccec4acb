"""IMD construction against the official figures of methods.md §2.2-2.3 and the published scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from publisher.compute.indices import imd
from publisher.inputs.datasets import load_datasets
from publisher.paths import DATA_DIR
from publisher.rdf.uris import Minter
from publisher.rdf.vocab import scheme_concepts

N = 32_844
BASE = "http://127.0.0.1:8080/"
DOMAINS = ["income", "employment", "education", "health", "crime", "barriers", "living-environment"]


@pytest.mark.parametrize(
    ("rank", "expected"),
    [(1, 100.0), (N, 0.000691), (3284, 50.435324), (3285, 50.429131), (16422, 15.648155)],
)
def test_exponential_transformation_matches_the_technical_report(rank, expected):
    assert imd.transformed_score(np.array([rank]), N)[0] == pytest.approx(expected, abs=5e-7)


@pytest.mark.parametrize(
    ("lsoa", "published"),
    [("E01004787", 67.018), ("E01004766", 30.687), ("E01004768", 7.028)],  # T-IMD-S1..S3 (Bolton)
)
def test_imd_score_from_bundled_domain_ranks(lsoa, published):
    ranks = pd.read_csv(DATA_DIR / "iod2019" / "file2_domains.csv.gz").set_index("lsoa").loc[lsoa]
    weights = {c.notation: c.weight for c in scheme_concepts(BASE, "imd") if c.weight is not None}
    score = sum(weights[d] * imd.transformed_score(np.array([ranks[f"{d}_rank"]]), N)[0] for d in DOMAINS)
    assert score == pytest.approx(published, abs=0.001)


def test_published_deciles_follow_the_official_rule():
    """decile = ceil(10 rank / N) for every LSOA (T-IMD-D1); we copy deciles, never recompute them."""
    file1 = pd.read_csv(DATA_DIR / "iod2019" / "file1_imd.csv.gz")
    assert (np.ceil(10 * file1["imd_rank"] / N) == file1["imd_decile"]).all()
    sizes = file1["imd_decile"].value_counts().sort_index().tolist()
    assert sizes == [3284, 3284, 3285, 3284, 3285, 3284, 3284, 3285, 3284, 3285]


@pytest.fixture(scope="module")
def built():
    minter = Minter(BASE)
    specs = load_datasets(DATA_DIR / "datasets.toml")
    return {s.edition: imd.build(s, minter) for s in specs if s.series == "imd-lsoa"}


@pytest.mark.parametrize(
    ("edition", "published_file", "count"),
    [("2019", "gla/lsoa_domain_scores_2019.csv.gz", 4835), ("2015", "iod2015/lsoa_imd_scores.csv.gz", N)],
    ids=["IoD2019 vs GLA London scores", "IoD2015 vs published scores"],
)
def test_reconstructed_scores_match_published_scores(built, edition, published_file, count):
    published = pd.read_csv(DATA_DIR / published_file).set_index("lsoa")["imd"]
    table = built[edition].table
    ours = table[(table.component == "imd") & (table.measure == "score")].set_index("area")["value"]
    difference = (ours.reindex(published.index) - published).abs()
    print(f"IoD{edition}: {len(published):,} LSOAs, max |difference| {difference.max():.5f}")
    assert len(published) == count and difference.max() < 0.001


def test_ranks_and_deciles_are_copied_from_the_published_files(built):
    table = built["2019"].table.set_index(["area", "component", "measure"])["value"]
    file2 = pd.read_csv(DATA_DIR / "iod2019" / "file2_domains.csv.gz").set_index("lsoa")
    for domain in DOMAINS:
        for measure in ("rank", "decile"):
            ours = table.xs((domain, measure), level=("component", "measure"))
            assert (ours.reindex(file2.index) == file2[f"{domain}_{measure}"]).all(), (domain, measure)


def test_every_lsoa_has_every_measure_and_absent_scores_are_explicit(built):
    table = built["2019"].table
    per_measure = table.groupby(["component", "measure"], observed=True)["area"].nunique()
    assert (per_measure == N).all() and len(per_measure) == 40
    london = set(pd.read_csv(DATA_DIR / "gla" / "lsoa_domain_scores_2019.csv.gz")["lsoa"])
    scores = table[(table.measure == "score") & (table.component != "imd")]
    missing = scores[scores.value.isna()]
    assert (missing.status == "missing").all()
    assert set(missing.area) == set(table.area) - london  # absent outside London, and only there
    assert not table[table.measure != "score"].value.isna().any()
