"""The validation gate: each injected fault is caught, named by rule and observation, by every layer
that states the rule; and a failing build publishes nothing."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
import pytest

from publisher.compute.indices import imd
from publisher.gate import constants, run_checks
from publisher.gate.release_dir import validate_release
from publisher.inputs.datasets import load_datasets, select
from publisher.paths import DATA_DIR
from publisher.rdf.uris import Minter
from publisher.rdf.vocab import vocabulary_ntriples
from publisher.store import current_snapshot
from tests.conftest import build_quietly, fixture_areas

QB = "http://purl.org/linked-data/cube#"
REF_AREA = "<http://purl.org/linked-data/sdmx/2009/dimension#refArea>"
BASE = "http://127.0.0.1:8080/"
OBS = BASE + "data/imd-lsoa/2019/obs/"
XSD = "http://www.w3.org/2001/XMLSchema#"


LSOA = ("imd-lsoa",)  # the three LSOA editions only
AREA = sorted(a for a in fixture_areas() if a.startswith("E01000"))[0]  # a Barking and Dagenham LSOA


def _obs(component: str, measure: str) -> str:
    return f"<{OBS}{AREA}/2019/{component}/{measure}>"


def _rewrite(directory: Path, change) -> None:
    path = directory / "imd-lsoa-2019.nt.gz"
    with gzip.open(path, "rt") as handle:
        lines = handle.read().splitlines()
    with gzip.open(path, "wt") as handle:
        handle.write("\n".join(change(lines)) + "\n")


def missing_ref_area(lines):
    return [x for x in lines if not (x.startswith(_obs("imd", "rank")) and REF_AREA in x)]


def duplicated_observation(lines):
    copy = [
        x.replace(_obs("imd", "rank"), _obs("imd", "rank")[:-1] + "-again>", 1)
        for x in lines
        if x.startswith(_obs("imd", "rank") + " ")
    ]
    return lines + copy


def two_measures(lines):
    """A second measure value written among the observation's own triples."""
    extra = f'{_obs("imd", "rank")} <{BASE}def/measure/score> "12.5"^^<{XSD}decimal> .'
    at = max(i for i, x in enumerate(lines) if x.startswith(_obs("imd", "rank") + " "))
    return [*lines[: at + 1], extra, *lines[at + 1 :]]


def scattered_observation(lines):
    """One triple of an observation moved to the end of the file."""
    moved = next(x for x in lines if x.startswith(_obs("imd", "rank") + " ") and REF_AREA in x)
    return [x for x in lines if x != moved] + [moved]


def unknown_area(lines):
    return [
        x.replace(f"statistical-geography/{AREA}>", "statistical-geography/E01999999>")
        if x.startswith(_obs("imd", "rank")) and REF_AREA in x
        else x
        for x in lines
    ]


def _value(measure: str, new: str):
    def change(lines):
        prefix = f"{_obs('imd', measure)} <{BASE}def/measure/{measure}> "
        return [
            prefix + f'"{new}"^^<http://www.w3.org/2001/XMLSchema#integer> .' if x.startswith(prefix) else x
            for x in lines
        ]

    return change


def no_dataset(lines):
    return [x for x in lines if not (x.startswith(_obs("imd", "rank")) and f"<{QB}dataSet>" in x)]


def structure_without_measure(lines):
    return [
        x
        for x in lines
        if not (
            x.startswith(f"<{BASE}data/imd-lsoa/2019/structure> <{QB}component>")
            and "/component/measure-" in x
        )
    ]


def rank_changed_in_the_rdf_only(lines):
    """A value still in range, so that only the comparison with the CSVW can tell."""
    prefix = f"{_obs('imd', 'rank')} <{BASE}def/measure/rank> "
    return [prefix + f'"{_rank_plus_one(x)}"^^<{XSD}integer> .' if x.startswith(prefix) else x for x in lines]


def _rank_plus_one(line: str) -> int:
    return int(line.rsplit('"^^', 1)[0].rsplit('"', 1)[1]) + 1


def not_ntriples(lines):
    return [
        *lines[:5],
        "<http://127.0.0.1:8080/x> <http://127.0.0.1:8080/y> this is not a term .",
        *lines[5:],
    ]


FAULTS = [
    # (name, change, rule, offending resource, layers of `validate DIR` that must catch it); "sparql" is
    # the W3C-style whole-graph queries of shapes/checks/, run here as a cross-check of the linear pass.
    ("missing refArea", missing_ref_area, "IC-11", _obs("imd", "rank"), {"rdf", "sparql", "shacl"}),
    ("duplicated observation", duplicated_observation, "IC-12", _obs("imd", "rank"), {"rdf"}),
    ("duplicated observation", duplicated_observation, "IC-12", "rank-again", {"sparql"}),
    ("duplicate's IRI", duplicated_observation, "LI-observation-iri", "rank-again", {"rdf"}),
    (
        "two measures on one observation",
        two_measures,
        "IC-16",
        _obs("imd", "rank"),
        {"rdf", "sparql", "shacl"},
    ),
    ("unknown area code", unknown_area, "LI-area-known", _obs("imd", "rank"), {"rdf", "sparql"}),
    ("rank 0", _value("rank", "0"), "LI-range", _obs("imd", "rank"), {"rdf", "sparql", "shacl"}),
    ("decile 11", _value("decile", "11"), "LI-range", _obs("imd", "decile"), {"rdf", "sparql", "shacl"}),
    ("observation without dataset", no_dataset, "IC-1", _obs("imd", "rank"), {"rdf", "sparql", "shacl"}),
    (
        "structure without a measure",
        structure_without_measure,
        "IC-3",
        "/data/imd-lsoa/2019/structure",
        {"structure", "sparql", "shacl"},
    ),
    ("scattered observation", scattered_observation, "LI-grouped", _obs("imd", "rank"), {"rdf"}),
    ("RDF changed, CSV not", rank_changed_in_the_rdf_only, "LI-csvw", "imd-lsoa-2019.csv", {"csvw"}),
    ("a line that is not N-Triples", not_ntriples, "LI-syntax", "line 6", {"rdf"}),
]


@pytest.fixture(scope="module")
def valid_release(small_settings) -> Path:
    return Path(current_snapshot(small_settings).releases["imd-lsoa/2019"]["dir"])


def test_the_published_fixture_release_is_valid(valid_release, small_settings):
    report = validate_release(valid_release, load_datasets(small_settings.datasets_file), small_settings)
    assert report.ok, report.render()
    assert {"tabular: IC-12", "shacl: IC-11", "rdf: IC-17", "structure: IC-3", "csvw: LI-csvw"} <= set(
        report.checked
    )
    assert not _sparql_cross_check(valid_release, small_settings)


def test_every_observation_of_a_release_passes_shacl_with_full(small_settings):
    """`validate --full`: pyshacl on every observation (the 2015 edition: 504 observations)."""
    release = Path(current_snapshot(small_settings).releases["imd-lsoa/2015"]["dir"])
    report = validate_release(release, load_datasets(small_settings.datasets_file), small_settings, full=True)
    assert report.ok, report.render()
    assert "shacl: IC-11" in report.checked


def _sparql_cross_check(directory: Path, settings) -> list:
    """Every check of shapes/checks/ over the whole release staged in memory (small fixtures only)."""
    store = ox.Store()
    graph = "urn:test:release"
    minter = Minter.of(settings)
    with gzip.open(directory / "imd-lsoa-2019.nt.gz", "rb") as handle:
        store.load(handle, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph), lenient=True)
    store.load(
        vocabulary_ntriples(minter.defs),
        format=ox.RdfFormat.N_TRIPLES,
        to_graph=ox.NamedNode(minter.vocabulary_graph),
    )
    spec = select(load_datasets(settings.datasets_file), ["imd-lsoa/2019"])[0]
    bound = constants(
        minter.dataset(spec.series, spec.edition),
        spec.ranking_universe,
        minter.area_list(spec.series, spec.edition),
        spec.area_code_pattern,
        minter.dimension("imd-domain"),
    )
    return run_checks(store, [graph, minter.vocabulary_graph], bound, minter.defs)[1]


@pytest.mark.parametrize(("name", "change", "rule", "focus", "layers"), FAULTS, ids=[f[0] for f in FAULTS])
def test_injected_fault_is_caught(name, change, rule, focus, layers, valid_release, small_settings, tmp_path):
    broken = tmp_path / "release"
    shutil.copytree(valid_release, broken)
    _rewrite(broken, change)
    report = validate_release(broken, load_datasets(small_settings.datasets_file), small_settings)
    print(report.render())
    assert not report.ok
    findings = report.findings
    if "sparql" in layers and rule != "LI-syntax":
        findings = findings + _sparql_cross_check(broken, small_settings)
    found = {f.layer for f in findings if f.rule == rule and any(focus.strip("<>") in x for x in f.focus)}
    assert layers <= found, (
        f"{name}: {rule} on {focus} expected from {layers}, got {found}\n{report.render()}"
    )


def test_a_fault_in_the_csv_is_reported_by_the_tabular_layer(valid_release, small_settings, tmp_path):
    broken = tmp_path / "release"
    shutil.copytree(valid_release, broken)
    csv = broken / "imd-lsoa-2019.csv"
    lines = csv.read_text().splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("Decile")] = "11"
    lines[1] = ",".join(row)
    csv.write_text("\n".join(lines) + "\n")
    report = validate_release(broken, load_datasets(small_settings.datasets_file), small_settings)
    tabular = [f for f in report.findings if f.layer == "tabular"]
    assert [f.rule for f in tabular] == ["LI-range"]
    component = row[header.index("Deprivation index or domain")]
    assert tabular[0].focus == [f"{OBS}{row[0]}/2019/{component}/decile"]


def _published_state(settings) -> dict:
    var = settings.var_dir
    state = {
        "registry": (var / "registry.json").read_bytes(),
        "current": (var / "snapshots" / "CURRENT").read_text(),
    }
    for path in sorted((var / "releases").rglob("*")):
        if path.is_file():
            state[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def test_a_failing_build_publishes_nothing(small_settings, monkeypatch):
    before = _published_state(small_settings)
    real_build = imd.build

    def rank_zero(spec, minter, only_areas=None):
        built = real_build(spec, minter, only_areas=only_areas)
        rank = built.table.index[built.table.measure == "rank"][0]
        built.table.loc[rank, "value"] = 0
        return built

    monkeypatch.setattr(imd, "build", rank_zero)
    outcomes = build_quietly(small_settings, LSOA, only_areas=fixture_areas(), force=True)
    assert [o.status for o in outcomes] == ["failed"] * 3
    assert all("LI-range" in o.report.render() for o in outcomes)
    assert _published_state(small_settings) == before
    assert not any((small_settings.var_dir / "staging").iterdir())


def test_rebuilding_unchanged_inputs_is_a_no_op(small_settings):
    before = _published_state(small_settings)
    outcomes = build_quietly(small_settings, only_areas=fixture_areas())
    assert len(outcomes) == 21 and {o.status for o in outcomes} == {"unchanged"}
    assert _published_state(small_settings) == before


def test_no_triple_is_published_in_two_graphs(small_settings):
    """The default graph is the union of the published graphs; a triple in two of them would be
    counted twice by every query that matches it."""
    import pyoxigraph as ox

    snapshot = current_snapshot(small_settings)
    store = ox.Store.read_only(str(snapshot.path))
    query = """SELECT ?s ?p ?o WHERE { GRAPH ?a { ?s ?p ?o } GRAPH ?b { ?s ?p ?o } FILTER(STR(?a) < STR(?b)) }
               LIMIT 5"""
    assert list(store.query(query)) == []


def test_changed_releases_replace_the_old_ones_everywhere(tmp_path):
    """A release whose key changes supersedes the old one: the live store holds exactly the new
    graphs (rebuilt from the release files, never deleted in place) and the old files go."""
    import pyoxigraph as ox

    from publisher.config import Settings

    first = Settings(var_dir=tmp_path / "var")
    assert [o.status for o in build_quietly(first, LSOA, only_areas=fixture_areas())] == ["published"] * 3
    old = current_snapshot(first).releases
    second = Settings(var_dir=first.var_dir, publisher_name="Another publisher")
    assert [o.status for o in build_quietly(second, LSOA, only_areas=fixture_areas())] == ["published"] * 3
    snapshot = current_snapshot(second)
    store = ox.Store.read_only(str(snapshot.path))
    graphs = {g.value for g in store.named_graphs()}
    assert graphs == set(snapshot.graphs)
    assert not graphs & {r["graph"] for r in old.values()}
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?o a <http://purl.org/linked-data/cube#Observation> }"
    solution = next(iter(store.query(count, default_graph=[ox.NamedNode(g) for g in graphs])))
    lsoas_2021 = set(pd.read_csv(DATA_DIR / "iod2025" / "file1_imd.csv.gz")["lsoa"])
    # IoD2019: 10 indices x 4 measures, IoD2015: 1 x 3, IoD2025 (its LSOAs of 2021 among them): 10 x 3
    assert (
        int(solution["n"].value) == len(fixture_areas()) * (40 + 3) + len(fixture_areas() & lsoas_2021) * 30
    )
    assert not any(Path(r["dir"]).exists() for r in old.values())
    assert all(Path(r["dir"]).exists() for r in snapshot.releases.values())
