"""A hub and three council servers on 127.0.0.1: harvest, then a member stops mid-harvest and
another serves a corrupted dump; the hub keeps its last good copies and reports both problems."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import PROV

from publisher.config import Settings
from publisher.hub.checks import check_release, offered_releases
from publisher.hub.config import HubConfig, HubConfigError
from publisher.hub.harvest import federate
from publisher.inputs.geography import Geography
from publisher.paths import DATA_DIR
from publisher.rdf.csvw import read_csvw_table
from publisher.rdf.uris import Minter
from publisher.release import vocabulary_graph_content
from publisher.store import current_snapshot

from .conftest import build_quietly, settings_file, start_server
from .processes import free_port

COUNCILS = {"barking-and-dagenham": "E09000002", "havering": "E09000016", "redbridge": "E09000026"}
SERIES = ("imd-lsoa/2019", "imd-ward/2019")


def district_lsoas(district: str) -> set[str]:
    file1 = pd.read_csv(DATA_DIR / "iod2019" / "file1_imd.csv.gz", dtype=str)
    return set(file1.loc[file1["lad"] == district, "lsoa"])


def hub_toml(path: Path, members: dict[str, str]) -> Path:
    lines = ['[hub]\nid = "north-east-london"\ntitle = "North East London"\ntimeout_s = 10\n']
    for member, base in members.items():
        lines.append(f'[[member]]\nid = "{member}"\nbase_uri = "{base}"\nseries = ["imd-lsoa", "imd-ward"]\n')
    path.write_text("\n".join(lines))
    return path


@pytest.fixture(scope="module")
def federation(tmp_path_factory):
    root = tmp_path_factory.mktemp("federation")
    hub_port = free_port()
    hub_base = f"http://127.0.0.1:{hub_port}/"
    servers, members, settings = {}, {}, {}
    for member, district in COUNCILS.items():
        port = free_port()
        base = f"http://127.0.0.1:{port}/"
        member_settings = Settings(
            var_dir=root / member / "var",
            base_uri=base,
            definitions_base=hub_base,  # the councils share the hub's definitions
            publisher_name=member,
            publisher_uri=f"{base}id/publisher/{member}",
        )
        outcomes = build_quietly(member_settings, SERIES, only_areas=district_lsoas(district))
        assert [o.status for o in outcomes] == ["published", "published"], member
        (root / member).mkdir(exist_ok=True)
        servers[member] = start_server(
            root / member, member_settings, port, base_uri=base, definitions_base=hub_base
        )
        members[member], settings[member] = base, member_settings
    hub_settings = Settings(
        var_dir=root / "hub" / "var", base_uri=hub_base, publisher_name="North East London hub"
    )
    config = HubConfig.load(hub_toml(root / "hub.toml", members))
    yield {
        "servers": servers,
        "members": members,
        "settings": settings,
        "hub": hub_settings,
        "hub_port": hub_port,
        "config": config,
    }
    for server in servers.values():
        if server.process.poll() is None:
            server.stop()


@pytest.fixture(scope="module")
def harvests(federation):
    """First harvest: everything. Second: redbridge stops mid-harvest, havering's dump is corrupted."""
    first_log: list[str] = []
    first = federate(federation["hub"], federation["config"], first_log.append)
    snapshot_after_first = current_snapshot(federation["hub"])
    corrupt_dump(federation["settings"]["havering"])
    second_log: list[str] = []

    def progress(message: str) -> None:
        second_log.append(message)
        if message.startswith("  redbridge: fetching"):  # the catalogue was read; stop before the dumps
            federation["servers"]["redbridge"].stop()

    second = federate(federation["hub"], federation["config"], progress)
    return {"first": first, "second": second, "after_first": snapshot_after_first, "log": second_log}


def corrupt_dump(member_settings: Settings) -> None:
    """Rewrite havering's published imd-lsoa dump with one IMD rank of 0 (ranks run from 1)."""
    release = current_snapshot(member_settings).releases["imd-lsoa/2019"]
    path = Path(release["dir"]) / f"{release['stem']}.nt.gz"
    lines = gzip.decompress(path.read_bytes()).decode().splitlines(keepends=True)
    rank = f"<{member_settings.definitions}def/measure/rank>"
    index = next(i for i, line in enumerate(lines) if f"> {rank} " in line)
    subject = lines[index].split(" ", 1)[0]
    lines[index] = f'{subject} {rank} "0"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
    path.write_bytes(gzip.compress("".join(lines).encode()))


def test_first_harvest_loads_every_member_release(federation, harvests):
    reports = {r.name.removeprefix("member "): r for r in harvests["first"]}
    assert set(COUNCILS) <= set(reports)
    for member, base in federation["members"].items():
        report = reports[member]
        assert report.status == "ok", report.render()
        assert sorted(report.harvested) == [f"{base}data/{name}" for name in SERIES]
    harvested = harvests["after_first"].manifest["harvested"]
    assert len(harvested) == 6
    assert all(h["graph"] in harvests["after_first"].graphs for h in harvested.values())


def test_second_harvest_reports_both_problems_and_keeps_the_last_good_data(federation, harvests):
    reports = {r.name.removeprefix("member "): r for r in harvests["second"]}
    assert reports["barking-and-dagenham"].status == "ok"
    assert len(reports["barking-and-dagenham"].unchanged) == 2
    havering = reports["havering"]
    assert havering.status == "failed"
    assert any(p.split(": ", 2)[1] == "LI-range" for p in havering.problems), havering.render()
    assert any("the hub keeps" in p for p in havering.problems)
    redbridge = reports["redbridge"]
    assert redbridge.status == "failed" and any(
        "Connection refused" in p or "refused" in p for p in redbridge.problems
    )
    after = current_snapshot(federation["hub"]).manifest["harvested"]
    assert after == harvests["after_first"].manifest["harvested"]


def test_the_hub_serves_every_member_through_sparql(federation, harvests, tmp_path):
    hub = federation["hub"]
    server = start_server(tmp_path, hub, federation["hub_port"], base_uri=hub.base_uri)
    try:
        query = (
            "SELECT ?dataset (COUNT(?obs) AS ?n) "
            "WHERE { ?obs <http://purl.org/linked-data/cube#dataSet> ?dataset } GROUP BY ?dataset"
        )
        url = hub.base_uri + "sparql?" + urllib.parse.urlencode({"query": query})
        request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
        rows = json.loads(urllib.request.urlopen(request).read())["results"]["bindings"]
        counts = {r["dataset"]["value"]: int(r["n"]["value"]) for r in rows}
        for member, base in federation["members"].items():
            lsoas = len(district_lsoas(COUNCILS[member]))
            assert counts[f"{base}data/imd-lsoa/2019"] == lsoas * 40, member  # 10 indices x 4 measures
        listing = json.loads(urllib.request.urlopen(hub.base_uri + "api/v1/datasets").read())
        assert {h["member"] for h in listing["harvested"]} == set(COUNCILS)
        assert {d["id"] for d in listing["datasets"]} == {"imd-region-members/2019", "imd-stp-members/2019"}
        # REST and pages over a member's harvested release: Havering's IMD ranks, as published in File 1.
        query = urllib.parse.urlencode(
            {"dataset": "havering/imd-lsoa/2019", "component": "imd", "measure": "rank", "per_page": 1000}
        )
        observations = json.loads(urllib.request.urlopen(f"{hub.base_uri}api/v1/observations?{query}").read())
        ranks = {o["area"]: o["value"] for o in observations["observations"]}
        file1 = pd.read_csv(DATA_DIR / "iod2019" / "file1_imd.csv.gz", dtype={"lsoa": str})
        expected = file1[file1["lad"] == COUNCILS["havering"]].set_index("lsoa")["imd_rank"].to_dict()
        assert ranks == expected
        lsoa = sorted(expected)[0]
        page = urllib.request.urlopen(f"{hub.base_uri}area/{lsoa}").read().decode()
        assert f"Rank {expected[lsoa]:,} of 32,844" in page
    finally:
        server.stop()


def test_hub_config_refuses_urls_outside_a_member(tmp_path):
    path = tmp_path / "hub.toml"
    path.write_text(
        '[hub]\nid = "x"\n[[member]]\nid = "a"\nbase_uri = "http://127.0.0.1:1/"\n'
        'catalog = "http://169.254.169.254/latest"\nseries = ["imd-lsoa"]\n'
    )
    with pytest.raises(HubConfigError, match="not under base_uri"):
        HubConfig.load(path)


def test_federate_command_reports_failures_with_exit_status_2(federation, harvests, tmp_path):
    """The command line over the same hub: redbridge is still down, havering still corrupted."""
    hub = federation["hub"]
    config = settings_file(
        tmp_path, var_dir=str(hub.var_dir), base_uri=hub.base_uri, publisher_name=hub.publisher_name
    )
    hub_config = federation["config"].path
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "publisher.cli",
            "--config",
            str(config),
            "federate",
            "--config",
            str(hub_config),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "member barking-and-dagenham: ok" in result.stdout
    assert "member havering: failed" in result.stdout and "member redbridge: failed" in result.stdout


def test_stp_summary_equals_the_direct_computation_with_its_coverage(federation, harvests):
    """The hub's summary for STP E54000029 (North East London) over its three members' LSOAs."""
    stp = "E54000029"
    geography = Geography.load(DATA_DIR)
    in_stp = set(geography.lsoas.loc[geography.lsoas["stp"] == stp, "lsoa"])
    member_rows = []
    for member_settings in federation["settings"].values():
        release = current_snapshot(member_settings).releases["imd-lsoa/2019"]
        table = read_csvw_table(Path(release["dir"]) / f"{release['stem']}.csv-metadata.json")
        member_rows.append(table[(table["component"] == "imd") & table["area"].isin(in_stp)])
    rows = pd.concat(member_rows).pivot_table(index="area", columns="measure", values="value")
    expected_score = (rows["score"] * rows["population"]).sum() / rows["population"].sum()
    whole = pd.read_csv(DATA_DIR / "iod2019" / "file6_population.csv.gz", dtype={"lsoa": str})
    expected_coverage = rows["population"].sum() / whole.loc[whole["lsoa"].isin(in_stp), "total"].sum()
    assert 0.2 < expected_coverage < 0.6  # three of North East London's eight boroughs

    hub_release = harvests["after_first"].releases["imd-stp-members/2019"]
    hub_table = read_csvw_table(Path(hub_release["dir"]) / f"{hub_release['stem']}.csv-metadata.json")
    summary = hub_table[hub_table["area"] == stp].set_index("measure")
    assert summary.loc["average-score", "value"] == pytest.approx(expected_score, abs=1e-6)
    assert summary.loc["population-coverage", "value"] == pytest.approx(expected_coverage, abs=1e-6)
    assert summary.loc["population", "value"] == pytest.approx(rows["population"].sum(), abs=0.01)
    assert set(summary["status"]) == {"partial"}  # never presented as the STP's figure

    metadata = Graph().parse(Path(hub_release["dir"]) / f"{hub_release['stem']}-metadata.ttl")
    derived = {str(o) for o in metadata.objects(URIRef(hub_release["dataset"]), PROV.wasDerivedFrom)}
    assert {f"{base}data/imd-lsoa/2019" for base in federation["members"].values()} <= derived
    # The second harvest (one member down, one corrupted) left the summaries as they were.
    assert current_snapshot(federation["hub"]).releases["imd-stp-members/2019"]["key"] == hub_release["key"]


def test_the_example_hub_configuration_loads():
    config = HubConfig.load(DATA_DIR / "hub.example.toml")
    assert [m.id for m in config.members] == ["barking-and-dagenham", "havering", "redbridge"]
    assert all(m.allows(m.catalog) and m.allows(m.sparql) for m in config.members)


def test_a_release_without_its_licence_fails_the_same_catalogue_shapes(federation, harvests):
    member = federation["config"].member("barking-and-dagenham")
    member_settings = federation["settings"]["barking-and-dagenham"]
    release = current_snapshot(member_settings).releases["imd-ward/2019"]
    lines = gzip.decompress((Path(release["dir"]) / f"{release['stem']}.nt.gz").read_bytes()).decode()
    licence = f"<{release['dataset']}> <http://purl.org/dc/terms/license> "
    unlicensed = "".join(line for line in lines.splitlines(keepends=True) if not line.startswith(licence))
    assert unlicensed != lines
    catalog = urllib.request.urlopen(member.catalog).read()
    [offered] = [o for o in offered_releases(member, catalog) if o.dataset == release["dataset"]]
    minter = Minter.of(federation["hub"])
    vocabulary = vocabulary_graph_content(minter)[1]
    assert check_release(member, offered, lines.encode(), minter, vocabulary) == []
    problems = check_release(member, offered, unlicensed.encode(), minter, vocabulary)
    assert any(p.startswith("CAT-4: a dataset has one licence IRI") for p in problems), problems
