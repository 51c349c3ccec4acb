"""The London ward and borough Social Progress Index: built from the bundled public data, published
through the gate, served, recomputable from what is published, and stable when a year is added."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import SKOS

from api import create_app
from publisher.cli import main
from publisher.compute.indices.spi import area_panel, load_method, observations
from publisher.compute.spi import score
from publisher.compute.spi.vocabulary import method_graph
from publisher.config import Settings
from publisher.gate.release_dir import validate_release
from publisher.inputs.datasets import load_datasets, select
from publisher.paths import DATA_DIR, SHARED_RAW_DIR, VOCAB_DIR

from .conftest import all_published, build_quietly
from .spi_checks import assert_recomputed, published_long

BASE = Settings().base_uri
LI = Namespace(BASE + "def/ontology/")
BARKING, HACKNEY = "E09000002", "E09000012"
ABBEY = "E05000026"  # a Barking and Dagenham ward
LBBD_FILE = SHARED_RAW_DIR / "lbbd_spi" / "LBBD_SPI2018_London_boroughs.geojson"


@pytest.fixture(scope="module")
def spi_settings(tmp_path_factory) -> Settings:
    settings = Settings(var_dir=tmp_path_factory.mktemp("spi") / "var")
    outcomes = build_quietly(settings, ("spi-ward/london-2019", "spi-lad/london-2019"))
    assert all_published(outcomes), [o.error or o.report for o in outcomes]
    return settings


@pytest.fixture(scope="module")
def ward_spec():
    return select(load_datasets(DATA_DIR / "datasets.toml"), ["spi-ward/london-2019"])[0]


@pytest.fixture(scope="module")
def client(spi_settings):
    return create_app(spi_settings).test_client()


def _geography_lookup() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "lookups" / "lsoa11_wd19_lad19.csv.gz", dtype=str)


def test_every_london_ward_has_one_observation_per_concept_and_measure(spi_settings):
    table = published_long(spi_settings, "spi-ward/london-2019")
    method = load_method(select(load_datasets(DATA_DIR / "datasets.toml"), ["spi-ward/london-2019"])[0])
    concepts = {"spi"} | {d.id for d in method.dimensions} | {c.id for c in method.scored_components}
    concepts |= {i.id for i in method.indicators}
    assert len(concepts) == 1 + 3 + 8 + 20
    lookup = _geography_lookup()
    london_wards = set(lookup.loc[lookup["lad"].str.startswith("E09"), "ward"])
    assert set(table["area"]) == london_wards and len(london_wards) == 637
    counts = table.groupby(["area", "component", "measure"]).size()
    assert (counts == 1).all() and len(counts) == 637 * len(concepts) * 3
    scores = table[(table["measure"] == "spi-score") & (table["component"] == "spi")]
    assert scores["value"].between(0, 100).all() and scores["value"].notna().all()
    for district, wards in ((BARKING, 17), (HACKNEY, 21)):
        codes = set(lookup.loc[lookup["lad"] == district, "ward"])
        assert len(codes) == wards and codes <= set(scores["area"])


def test_the_ward_spi_is_served_over_rest_and_sparql(client):
    answer = client.get(
        "/api/v1/observations",
        query_string={
            "dataset": "spi-ward/london-2019",
            "component": "spi",
            "measure": "spi-score",
            "within": BARKING,
        },
    ).get_json()
    areas = [o["area"] for o in answer["observations"]]
    assert len(areas) == len(set(areas)) == 17 and ABBEY in areas
    query = f"""
        PREFIX qb: <http://purl.org/linked-data/cube#>
        SELECT (COUNT(?obs) AS ?n) (MIN(?v) AS ?low) (MAX(?v) AS ?high) WHERE {{
          ?obs qb:dataSet <{BASE}data/spi-ward/london-2019> ;
               <{BASE}def/dimension/spi-london> <{BASE}def/concept/spi-london/spi> ;
               <{BASE}def/measure/spi-score> ?v .
        }}"""
    response = client.get(
        "/sparql", query_string={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    row = response.get_json()["results"]["bindings"][0]
    assert int(row["n"]["value"]) == 637
    assert 0 <= float(row["low"]["value"]) < float(row["high"]["value"]) <= 100


def test_a_ward_indicator_is_the_population_weighted_mean_of_its_lsoas(spi_settings):
    """Recomputed here from the bundled LSOA file and File 6, independently of the builder."""
    lookup = _geography_lookup()
    lsoas = set(lookup.loc[lookup["ward"] == ABBEY, "lsoa"])
    values = pd.read_csv(DATA_DIR / "gla" / "lsoa_underlying_indicators_2019.csv.gz").set_index("lsoa")
    population = pd.read_csv(DATA_DIR / "iod2019" / "file6_population.csv.gz").set_index("lsoa")
    weights = population.loc[sorted(lsoas), "total"]
    expected = (values.loc[sorted(lsoas), "distance_gp"] * weights).sum() / weights.sum()
    table = published_long(spi_settings, "spi-ward/london-2019")
    published = table.query(
        "area == @ABBEY and component == 'road-distance-to-gp' and measure == 'indicator-value'"
    )["value"].item()
    assert published == pytest.approx(expected, abs=1e-6)


def test_anyone_can_recompute_the_spi_from_the_published_values_and_method(spi_settings):
    """Indicator values from the release CSV and parameters from the published method graph only."""
    vocabulary = Graph().parse(VOCAB_DIR / "spi-london.ttl", format="turtle", publicID=BASE)
    table = published_long(spi_settings, "spi-ward/london-2019")
    ward = table[table["area"] == ABBEY].pivot(index="component", columns="measure", values="value")
    assert_recomputed(vocabulary, BASE, "spi-london-v1", ward)


def test_goalposts_from_the_london_range_clip_no_2019_ward(ward_spec):
    method = load_method(ward_spec)
    panel = area_panel(ward_spec, method)
    for indicator in method.indicators:
        values = panel.raw[indicator.id].dropna()
        low, high = sorted((indicator.utopia, indicator.dystopia))
        assert values.between(low, high).all(), indicator.id


def test_the_suppressed_value_is_imputed_and_flagged(spi_settings):
    table = published_long(spi_settings, "spi-ward/london-2019")
    flagged = table[table["status"] == "imputed"]
    assert set(flagged["component"]) == {"not-entering-higher-education"}
    assert set(flagged["measure"]) == {"indicator-value", "spi-score"}
    ward = flagged["area"].iloc[0]  # noqa: F841 (read by the query below)
    assert (
        table.query("area == @ward and component == 'spi' and measure != 'indicator-value'")["value"]
        .notna()
        .all()
    )


def test_adding_a_later_year_leaves_2019_byte_identical(ward_spec):
    method = load_method(ward_spec)
    panel = area_panel(ward_spec, method)
    alone = observations(method, score(method, panel.raw, panel.groups), "2019")
    later = panel.raw.copy()
    rng = np.random.default_rng(2020)
    later = later * rng.uniform(
        0.8, 1.2, size=later.shape
    )  # a synthetic 2020, some values past the goalposts
    later.index = later.index.set_levels(["2020"], level="period")
    later.iloc[::7, 3] = np.nan  # and some gaps, filled from 2020's own values only
    both = observations(method, score(method, pd.concat([panel.raw, later]), panel.groups), "2019")
    assert alone.to_csv(index=False).encode() == both.to_csv(index=False).encode()
    changed = observations(method, score(method, pd.concat([panel.raw, later]), panel.groups), "2020")
    assert not changed["value"].equals(alone["value"])


def test_release_metadata_carries_diagnostics_and_the_rank_direction(spi_settings):
    registry = json.loads((spi_settings.var_dir / "registry.json").read_text())
    directory = Path(registry["releases"]["spi-ward/london-2019"]["dir"])
    metadata = Graph().parse(directory / "spi-ward-london-2019-metadata.ttl")
    dataset = URIRef(BASE + "data/spi-ward/london-2019")
    diagnostics = list(metadata.objects(dataset, LI.componentDiagnostics))
    assert len(diagnostics) == 8
    alphas = [metadata.value(d, LI.cronbachAlpha) for d in diagnostics]
    assert sum(a is not None for a in alphas) == 7  # Inclusiveness has one indicator
    assert "highest score" in str(metadata.value(dataset, LI.rankDirection))
    assert metadata.value(dataset, LI.method) == URIRef(BASE + "def/method/spi-london-v1")


def test_diagnose_prints_alpha_kmo_and_pca_share_per_component():
    result = CliRunner().invoke(main, ["spi", "diagnose", "spi-ward/london-2019"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    health = lines["health-and-wellness"].split()
    assert health[1:3] == ["4", "637"]
    alpha, kmo, share = (float(v) for v in health[3:6])
    assert 0.7 <= alpha < 1 and 0.5 <= kmo < 1 and 0.5 < share < 1
    assert "n/a" in lines["inclusiveness"] and "omitted: water-and-sanitation" in result.output


def test_the_framework_is_a_skos_hierarchy_and_vocab_matches_the_method(ward_spec):
    method = load_method(ward_spec)
    committed = Graph().parse(VOCAB_DIR / "spi-london.ttl", format="turtle", publicID=BASE)
    assert (
        CliRunner().invoke(main, ["spi", "vocab", "--check", str(DATA_DIR / "spi" / "london.toml")]).exit_code
        == 0
    )
    assert len(committed) == len(method_graph(method, BASE))
    top = URIRef(BASE + "def/concept/spi-london/spi")
    for indicator in method.indicators:
        node = URIRef(BASE + f"def/concept/spi-london/{indicator.id}")
        chain = [node]
        while chain[-1] != top:
            chain.append(committed.value(chain[-1], SKOS.broader))
        assert len(chain) == 4, indicator.id  # indicator → component → dimension → index


def test_an_edited_method_file_is_caught_as_out_of_date(tmp_path):
    edited = (DATA_DIR / "spi" / "london.toml").read_text().replace("dystopia = 3.0", "dystopia = 3.5", 1)
    (tmp_path / "spi-london.toml").write_text(edited)
    result = CliRunner().invoke(main, ["spi", "vocab", "--check", str(tmp_path / "spi-london.toml")])
    assert result.exit_code == 1 and "OUT OF DATE" in result.output


def test_an_inapplicable_method_file_fails_the_build_and_publishes_nothing(tmp_path, spi_settings):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)  # inputs must lie inside the datasets file's folder
    broken = (
        (DATA_DIR / "spi" / "london.toml").read_text().replace('transform = "sqrt"', 'transform = "cube"')
    )
    (data / "spi" / "london.toml").write_text(broken)
    settings = spi_settings.with_overrides(datasets_file=data / "datasets.toml")
    before = (spi_settings.var_dir / "registry.json").read_bytes()
    outcomes = build_quietly(settings, ("spi-ward/london-2019",), force=True)
    assert [o.status for o in outcomes] == ["failed"]
    assert "london.toml: indicator road-traffic-casualties: transform must be one of" in str(
        outcomes[0].error
    )
    assert (spi_settings.var_dir / "registry.json").read_bytes() == before


def test_borough_components_agree_with_barking_and_dagenhams_published_2018_scores(spi_settings):
    """LBBD's own 2018 borough SPI (other indicators, same framework): ranks agree closely."""
    if not LBBD_FILE.exists():
        pytest.skip(f"LBBD borough SPI not found at {LBBD_FILE} (lives in ../shared/data/raw)")
    theirs = pd.DataFrame([f["properties"] for f in json.loads(LBBD_FILE.read_text())["features"]])[
        ["NAME", "ps2018", "hw2018"]
    ]
    table = published_long(spi_settings, "spi-lad/london-2019")
    names = pd.read_csv(DATA_DIR / "lookups" / "lsoa11_wd19_lad19.csv.gz", dtype=str)[["lad", "lad_name"]]
    codes = dict(zip(names["lad_name"].str.upper(), names["lad"], strict=False))
    theirs["area"] = theirs["NAME"].map(codes)
    assert theirs["area"].notna().all() and len(theirs) == 32
    ours = table[table["measure"] == "spi-score"].pivot(index="area", columns="component", values="value")
    joined = theirs.set_index("area").join(ours)
    ranks = joined.rank()
    safety = ranks["ps2018"].corr(ranks["personal-safety"])  # Spearman: Pearson of the ranks
    health = ranks["hw2018"].corr(ranks["health-and-wellness"])
    print(f"Spearman rank correlation with LBBD 2018: personal safety {safety:.3f}, health {health:.3f}")
    assert safety > 0.75 and health > 0.7


def test_a_score_above_100_in_the_published_rdf_is_caught_by_the_gate(spi_settings, tmp_path):
    registry = json.loads((spi_settings.var_dir / "registry.json").read_text())
    broken = tmp_path / "release"
    shutil.copytree(registry["releases"]["spi-ward/london-2019"]["dir"], broken)
    observation = f"<{BASE}data/spi-ward/london-2019/obs/{ABBEY}/2019/spi/spi-score>"
    prefix = f"{observation} <{BASE}def/measure/spi-score> "
    path = broken / "spi-ward-london-2019.nt.gz"
    with gzip.open(path, "rt") as handle:
        lines = handle.read().splitlines()
    assert sum(line.startswith(prefix) for line in lines) == 1
    changed = [
        prefix + '"120.5"^^<http://www.w3.org/2001/XMLSchema#decimal> .' if x.startswith(prefix) else x
        for x in lines
    ]
    with gzip.open(path, "wt") as handle:
        handle.write("\n".join(changed) + "\n")
    report = validate_release(broken, load_datasets(spi_settings.datasets_file), spi_settings)
    layers = {f.layer for f in report.findings if f.rule == "LI-range" and any(ABBEY in x for x in f.focus)}
    assert layers == {"rdf", "shacl"}, report.render()  # every observation; Abbey is in SHACL's sample
    assert "LI-csvw" in {f.rule for f in report.findings}  # and the CSV no longer says the same
