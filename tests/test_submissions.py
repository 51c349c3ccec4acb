"""Submissions that are accepted: the two real samples published under their submitters, queryable by
SPARQL and REST; personal data never reaching any output; disclosure control; source deletion; the
audit log; formula neutralising; and the format variations a council's spreadsheet produces."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from api import create_app
from publisher.config import Settings
from publisher.inputs.submission import audit
from publisher.inputs.submission.ingest import ingest
from publisher.inputs.submission.suppression import suppress
from publisher.paths import SHARED_RAW_DIR
from tests.conftest import release_csv, start_server
from tests.submissions.helpers import copy_sample, edit_rows, read_rows

LBBD, HACKNEY = "lbbd-spi-2018", "hackney-wards-2019"
LBBD_GEOJSON = SHARED_RAW_DIR / "lbbd_spi" / "LBBD_SPI2018_London_boroughs.geojson"
QUIET = {"progress": lambda _: None}


def published(tmp_path: Path, *samples: tuple[str, str], change=None) -> Settings:
    settings = Settings(var_dir=tmp_path / "var")
    for name, publisher in samples:
        folder = copy_sample(name, tmp_path / name)
        if change:
            change(folder)
        result = ingest(folder, publisher, settings, **QUIET)
        assert result.status == "published", result.message
    return settings


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> Settings:
    return published(tmp_path_factory.mktemp("samples"), (LBBD, "lbbd"), (HACKNEY, "hackney"))


@pytest.fixture(scope="module")
def client(samples):
    return create_app(samples).test_client()


def sparql(client, query: str) -> list[dict]:
    response = client.get(
        "/sparql", query_string={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in b.items()} for b in response.json["results"]["bindings"]]


def test_lbbd_sample_is_queryable_over_sparql_with_lbbd_as_publisher(client, samples):
    base = samples.base_uri
    rows = sparql(
        client,
        f"""PREFIX dct: <http://purl.org/dc/terms/> PREFIX qb: <http://purl.org/linked-data/cube#>
        PREFIX foaf: <http://xmlns.com/foaf/0.1/>
        SELECT ?dataset ?name ?licence WHERE {{
          ?dataset a qb:DataSet ; dct:publisher ?publisher ; dct:license ?licence .
          ?publisher foaf:name ?name .
          FILTER(?publisher = <{base}id/publisher/lbbd>) }}""",
    )
    assert rows == [
        {
            "dataset": f"{base}data/lbbd-spi-lad/2018",
            "name": "London Borough of Barking and Dagenham",
            "licence": "https://opensource.org/licenses/MIT",
        }
    ]
    value = sparql(
        client,
        f"""PREFIX sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#>
        PREFIX qb: <http://purl.org/linked-data/cube#>
        SELECT ?value WHERE {{
          ?obs qb:dataSet <{base}data/lbbd-spi-lad/2018> ;
               sdmx-dimension:refArea <http://statistics.data.gov.uk/id/statistical-geography/E09000002> ;
               <{base}def/dimension/lbbd-spi-lad> <{base}def/concept/lbbd-spi-lad/personal-safety> ;
               <{base}def/measure/indicator-value> ?value }}""",
    )
    assert float(value[0]["value"]) == pytest.approx(lbbd_source_value("BARKING AND DAGENHAM", "ps2018"))


def lbbd_source_value(borough: str, column: str) -> float:
    if not LBBD_GEOJSON.exists():
        pytest.skip(f"{LBBD_GEOJSON} is not present (../shared/data/raw)")
    features = json.loads(LBBD_GEOJSON.read_text())["features"]
    return next(f["properties"][column] for f in features if f["properties"]["NAME"] == borough)


def test_samples_over_rest_name_their_publisher_and_aggregate_to_stp_and_region(client):
    listed = {d["id"]: d for d in client.get("/api/v1/datasets").json["datasets"]}
    assert listed["lbbd-spi-lad/2018"]["publisher"]["id"] == "lbbd"
    assert listed["lbbd-spi-lad/2018"]["licence"] == "https://opensource.org/licenses/MIT"
    assert listed["hackney-ward-indicators/2019"]["publisher"]["name"] == "London Borough of Hackney"
    rows = client.get(
        "/api/v1/observations",
        query_string={"dataset": "lbbd-spi-lad/2018", "area": "E09000012", "component": "crime"},
    ).json["observations"]
    value = next(r for r in rows if r["measure"] == "indicator-value")
    assert value["value"] == pytest.approx(lbbd_source_value("HACKNEY", "Crm2018"))
    query = {"dataset": "lbbd-spi-lad/2018", "component": "personal-safety", "measure": "indicator-value"}
    stp = client.get("/api/v1/aggregate", query_string=query | {"level": "stp"})
    assert stp.status_code == 200, stp.json
    assert len(stp.json["rows"]) == 5  # London's five STPs (April 2020)
    region = client.get("/api/v1/aggregate", query_string=query | {"level": "region"}).json["rows"]
    assert [r["area"] for r in region] == ["E12000007"] and region[0]["parts"] == 32
    population = client.get(
        "/api/v1/aggregate",
        query_string={"dataset": "hackney-ward-indicators/2019", "level": "lad", "component": "population",
                      "measure": "count"},
    ).json["rows"]  # fmt: skip
    submitted = read_rows(Path("data/submissions") / HACKNEY / "observations.csv")
    total = sum(float(r["value"]) for r in submitted if r["indicator_id"] == "population")
    assert population == [pytest.approx(population[0] | {"area": "E09000012", "value": total, "parts": 21})]


def test_submitted_indicators_are_concepts_in_the_spi_framework(client, samples):
    base = samples.base_uri
    page = client.get("/def/concept/lbbd-spi-lad/crime", headers={"Accept": "text/turtle"})
    assert page.status_code == 200
    assert f"<{base}def/concept/spi-london/personal-safety>".encode() in page.data
    assert f"<{base}def/concept/lbbd-spi-lad/personal-safety>".encode() in page.data  # skos:broader
    publisher = client.get("/id/publisher/lbbd", headers={"Accept": "text/turtle"})
    assert b"London Borough of Barking and Dagenham" in publisher.data


def test_spi_component_not_submitted_is_scored_with_the_spi_method(tmp_path):
    def without_health_score(folder: Path) -> None:
        edit_rows(
            folder / "indicators.csv",
            lambda rows: [r for r in rows if r["indicator_id"] != "health-and-wellness"],
        )
        edit_rows(
            folder / "observations.csv",
            lambda rows: [r for r in rows if r["indicator_id"] != "health-and-wellness"],
        )

    settings = published(tmp_path, (LBBD, "lbbd"), change=without_health_score)
    release = json.loads((settings.var_dir / "registry.json").read_text())["releases"]["lbbd-spi-lad/2018"]
    table = release_csv(Path(release["dir"]), "lbbd-spi-lad-2018", dtype={"area": str})
    value = table[(table["area"] == "E09000002") & (table["component"] == "health-and-wellness")]
    members = [
        lbbd_source_value("BARKING AND DAGENHAM", c) for c in ("MLE2018", "FLE2018", "Rcp2018", "Yr62018")
    ]
    assert value["indicator-value"].item() == pytest.approx(np.mean(members), abs=1e-6)


CANARIES = {
    "notes": "Canary Zebedee Quillfeather said so",
    "area_name": "Quillfeather Towers",
    "contact": "zebedee.quillfeather@example.org",
}


def test_canaries_in_source_only_columns_reach_no_output(tmp_path, capsys):
    def plant(folder: Path) -> None:
        edit_rows(
            folder / "observations.csv",
            lambda rows: [r | {"notes": CANARIES["notes"], "area_name": CANARIES["area_name"]} for r in rows],
        )
        edit_rows(
            folder / "indicators.csv", lambda rows: [r | {"contact": CANARIES["contact"]} for r in rows]
        )

    settings = published(tmp_path, (HACKNEY, "hackney"), change=plant)
    server = start_server(tmp_path, settings)
    try:
        import urllib.request

        base = server.url
        for path in ("data/hackney-ward-indicators/2019", "data/hackney-ward-indicators/2019.ttl",
                     "api/v1/observations?dataset=hackney-ward-indicators/2019&format=csv",
                     "def/concept/hackney-ward-indicators/population", "area/E05009367"):  # fmt: skip
            with urllib.request.urlopen(base + path) as response:
                assert_clean(response.read(), path)
        # spelt in two halves, so that the query in the access log is not itself a canary
        query = (
            "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o "
            "FILTER(CONTAINS(LCASE(STR(?o)), CONCAT('quill', 'feather'))) } }"
        )
        with urllib.request.urlopen(base + "sparql?" + urllib.parse.urlencode({"query": query})) as response:
            assert json.loads(response.read())["results"]["bindings"] == []
    finally:
        logs = server.stop()
    assert_clean(logs.encode(), "server log")
    assert_clean(capsys.readouterr().out.encode(), "ingest output")
    for path in settings.var_dir.rglob("*"):
        if path.is_file():
            assert_clean(read_maybe_gzip(path), str(path))


def test_canaries_in_refused_places_appear_nowhere(tmp_path):
    settings = Settings(var_dir=tmp_path / "var")
    folder = copy_sample(HACKNEY, tmp_path / "submission")
    edit_rows(
        folder / "observations.csv", lambda rows: [r | {"full_name": "Quentin Quillfeather"} for r in rows]
    )
    edit_rows(
        folder / "indicators.csv", lambda rows: [rows[0] | {"label": f"Ask {CANARIES['contact']}"}, *rows[1:]]
    )
    output: list[str] = []
    result = ingest(folder, "hackney", settings, progress=output.append)
    assert result.status == "refused"
    assert "[personal-data]" in result.message and "indicators.csv:2:label" in result.message
    for text in (result.message, "\n".join(output), settings.audit_log.read_text()):
        assert "quillfeather" not in text.lower()
    assert not (settings.var_dir / "registry.json").exists()


def assert_clean(content: bytes, where: str) -> None:
    lowered = content.lower()
    for canary in ("quillfeather", "zebedee"):
        assert canary.encode() not in lowered, f"{canary} found in {where}"


def read_maybe_gzip(path: Path) -> bytes:
    import gzip

    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def test_suppression_rules_on_hand_computed_cells():
    frame = pd.DataFrame(
        {
            "area": ["W1", "W2", "W3", "W1", "W2", "W3"],
            "period": "2019",
            "indicator": ["pop", "pop", "pop", "rate", "rate", "rate"],
            "value": [7.0, 250.0, 40.0, 50.0, 2.0, 20.0],
            "numerator": [np.nan, np.nan, np.nan, 60.0, 4.0, 95.0],
            "denominator": [np.nan, np.nan, np.nan, 120.0, 200.0, 100.0],
            "status": "",
        }
    )
    parents = pd.Series({"W1": "D1", "W2": "D1", "W3": "D1"})
    out, tally = suppress(frame, {"pop"}, 10, parents)
    # pop: W1 (7) is primary; as the only one of the district's wards withheld, the smallest other
    # (W3, 40) goes too.
    assert out["value_status"].tolist()[:3] == ["suppressed", "", "suppressed"]
    assert out["value"].isna().tolist()[:3] == [True, False, True]
    # rate: W2's numerator 4 is primary; W3's complement 100 - 95 = 5 would reveal 5 people, so its
    # numerator goes; both rates go with their numerators. W1 stays: two of the district's are withheld.
    assert out["numerator_status"].tolist()[3:] == ["", "suppressed", "suppressed"]
    assert out["value_status"].tolist()[3:] == ["", "suppressed", "suppressed"]
    assert tally == {"primary": 2, "complement": 1, "rate": 2, "area-total": 1}


def test_small_counts_are_suppressed_in_every_output(tmp_path):
    def small_population(folder: Path) -> None:
        def change(rows):
            for row in rows:
                if row["indicator_id"] == "population" and row["area_code"] == "E05009367":
                    row["value"] = "6"
            return rows

        edit_rows(folder / "observations.csv", change)

    settings = published(tmp_path, (HACKNEY, "hackney"), change=small_population)
    release = json.loads((settings.var_dir / "registry.json").read_text())["releases"][
        "hackney-ward-indicators/2019"
    ]
    table = release_csv(Path(release["dir"]), "hackney-ward-indicators-2019", dtype={"area": str})
    population = table[table["component"] == "population"].set_index("area")["count"]
    assert np.isnan(population["E05009367"])
    submitted = {
        r["area_code"]: float(r["value"])
        for r in read_rows(Path("data/submissions") / HACKNEY / "observations.csv")
        if r["indicator_id"] == "population"
    }
    smallest_other = min((v, a) for a, v in submitted.items() if a != "E05009367")[1]
    assert np.isnan(population[smallest_other])  # else Hackney's total would reveal the 6
    assert population.notna().sum() == 19
    statuses = release_csv(Path(release["dir"]), "hackney-ward-indicators-2019", status=True, dtype=str)
    withheld = statuses[(statuses["component"] == "population") & (statuses["status"] == "suppressed")]
    assert set(withheld["area"]) == {"E05009367", smallest_other}
    with gzip_open(Path(release["dir"]) / "hackney-ward-indicators-2019.nt.gz") as triples:
        stated = [
            line for line in triples.read().split(b"\n") if b"/obs/E05009367/2019/population/count>" in line
        ]
    assert stated and not any(b'def/measure/count> "' in line for line in stated)  # no value triple
    event = audit.read(settings.audit_log)[-1]
    assert event["cells_suppressed"] == {"primary": 1, "complement": 0, "rate": 0, "area-total": 1}


def gzip_open(path: Path):
    import gzip

    return gzip.open(path, "rb")


def test_delete_source_after_success_and_audit_log(tmp_path):
    settings = Settings(var_dir=tmp_path / "var")
    folder = copy_sample(HACKNEY, tmp_path / "submission")
    checksums = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    submitted_bytes = (folder / "observations.csv").read_bytes()
    result = ingest(folder, "hackney", settings, delete_source=True, **QUIET)
    assert result.status == "published"
    assert (
        sorted(p.name for p in folder.iterdir()) == ["README.md"]
        if (folder / "README.md").exists()
        else list(folder.iterdir()) == []
    )
    event = audit.read(settings.audit_log)[-1]
    assert event["status"] == "published" and event["publisher"] == "hackney"
    assert event["deleted"] == ["submission.toml", "indicators.csv", "observations.csv"]
    assert event["files"] == {name: checksums[name] for name in event["deleted"]}
    assert (event["rows"], event["rows_accepted"], event["rows_rejected"]) == (168, 168, 0)
    assert event["dataset"] == "hackney-ward-indicators/2019"
    log = settings.audit_log.read_text()
    assert "Brownswood" not in log and submitted_bytes.split(b"\n")[1].decode().split(",")[4] not in log

    zipped = tmp_path / "lbbd.zip"
    with zipfile.ZipFile(zipped, "w") as bundle:
        for path in (Path("data/submissions") / LBBD).iterdir():
            bundle.write(path, path.name)
    assert ingest(zipped, "lbbd", settings, delete_source=True, **QUIET).status == "published"
    assert not zipped.exists()
    assert audit.read(settings.audit_log)[-1]["deleted"] == ["lbbd.zip"]


def test_delete_source_through_a_link_removes_only_the_link_and_says_so(tmp_path):
    settings = Settings(var_dir=tmp_path / "var")
    archive, link = tmp_path / "kept" / "lbbd.zip", tmp_path / "lbbd-link.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in (Path("data/submissions") / LBBD).iterdir():
            bundle.write(path, path.name)
    link.symlink_to(archive)
    said: list[str] = []
    assert ingest(link, "lbbd", settings, delete_source=True, progress=said.append).status == "published"
    assert archive.exists() and not link.is_symlink()
    assert said[-1] == "deleted the source: lbbd-link.zip (a link: the file it points to was kept)"


def test_formulas_are_neutralised_in_every_output(tmp_path):
    formula = '=HYPERLINK("http://attacker.example/","Click")'

    def inject(folder: Path) -> None:
        edit_rows(
            folder / "indicators.csv",
            lambda rows: [rows[0] | {"label": formula, "description": "+SUM(1,2)"}, *rows[1:]],
        )

    settings = published(tmp_path, (HACKNEY, "hackney"), change=inject)
    client = create_app(settings).test_client()
    for path in settings.var_dir.rglob("*"):
        if path.is_file() and path.suffix in {".csv", ".json", ".ttl", ".gz", ".jsonl"}:
            text = read_maybe_gzip(path).decode("utf-8", "replace")
            for line in io.StringIO(text):
                for cell in line.split(","):
                    assert not cell.strip().strip('"').startswith(("=HYPERLINK", "+SUM")), path
    skos = "http://www.w3.org/2004/02/skos/core#"
    label = sparql(
        client, f"SELECT ?l WHERE {{ ?c <{skos}notation> 'income-deprived' ; <{skos}prefLabel> ?l }}"
    )
    assert label == [{"l": "'" + formula}]
    csv_out = client.get(
        "/api/v1/observations", query_string={"dataset": "hackney-ward-indicators/2019", "format": "csv"}
    )
    assert csv_out.status_code == 200
    assert not any(
        cell.startswith(("=", "+")) for line in csv_out.text.splitlines() for cell in line.split(",")
    )


def test_spreadsheet_variations_are_accepted(tmp_path):
    def excel_style(folder: Path) -> None:
        edit_rows(
            folder / "observations.csv",
            lambda rows: [
                r
                | (
                    {"value": "12,345"}
                    if r["indicator_id"] == "population" and r["area_code"] == "E05009367"
                    else {}
                )
                for r in rows
            ],
        )
        text = (folder / "observations.csv").read_text(encoding="utf-8")
        header, rest = text.split("\n", 1)
        header = (
            header.replace("area_code", " Area Code ")
            .replace("indicator_id", "Indicator-ID")
            .replace("period", "PERIOD")
        )
        rows = rest.replace("\n", "\r\n")
        (folder / "observations.csv").write_bytes(("\ufeff" + header + "\r\n" + rows).encode("utf-8"))

    settings = published(tmp_path, (HACKNEY, "hackney"), change=excel_style)
    release = json.loads((settings.var_dir / "registry.json").read_text())["releases"][
        "hackney-ward-indicators/2019"
    ]
    table = release_csv(Path(release["dir"]), "hackney-ward-indicators-2019", dtype={"area": str})
    value = table[(table["area"] == "E05009367") & (table["component"] == "population")]["count"].item()
    assert value == 12345


def test_a_charity_is_a_publisher_like_any_other_and_never_mixes_with_council_data(tmp_path):
    publishers = tmp_path / "publishers.toml"
    publishers.write_text(
        Path("data/publishers.toml").read_text()
        + '\n[publisher.toynbee]\nname = "Toynbee Hall"\nhomepage = "https://www.toynbeehall.org.uk/"\n'
        'kind = "third-sector"\n'
    )
    settings = Settings(var_dir=tmp_path / "var", publishers_file=publishers)
    for publisher in ("hackney", "toynbee"):
        folder = copy_sample(HACKNEY, tmp_path / publisher)
        assert ingest(folder, publisher, settings, **QUIET).status == "published"
    releases = json.loads((settings.var_dir / "registry.json").read_text())["releases"]
    council, charity = releases["hackney-ward-indicators/2019"], releases["toynbee-ward-indicators/2019"]
    assert charity["publisher"]["uri"] == f"{settings.base_uri}id/publisher/toynbee"
    assert council["graph"] != charity["graph"] and council["dataset"] != charity["dataset"]
    client = create_app(settings).test_client()
    page = client.get("/data/toynbee-ward-indicators/2019", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Toynbee Hall" in page.text
    observation = "<http://purl.org/linked-data/cube#Observation>"
    count = f"SELECT (COUNT(?o) AS ?n) WHERE {{ GRAPH <{council['graph']}> {{ ?o a {observation} }} }}"
    assert sparql(client, count) == [{"n": str(council["observations"])}]
    with pytest.raises(LookupError, match="'nobody' is not registered"):
        ingest(copy_sample(HACKNEY, tmp_path / "nobody"), "nobody", settings, **QUIET)
    assert audit.read(settings.audit_log)[-1]["problem_codes"] == ["unknown-publisher"]


def test_scorecards_rank_submitted_indicators_by_their_polarity(client):
    def submitted(sample: str, indicator: str) -> dict[str, float]:
        rows = read_rows(Path("data/submissions") / sample / "observations.csv")
        return {r["area_code"]: float(r["value"]) for r in rows if r["indicator_id"] == indicator}

    card = client.get("/api/v1/scorecard/E09000002?dataset=lbbd-spi-lad/2018").json["scorecards"][0]
    safety = next(r for r in card["rows"] if r["component"] == "personal-safety")
    scores = submitted(LBBD, "personal-safety")  # higher is better
    assert safety["rank"] == 1 + sum(v > scores["E09000002"] for v in scores.values())
    assert safety["universe"] == 32 and "of this dataset (32)" in safety["rating_words"]

    card = client.get("/api/v1/scorecard/E05009367?dataset=hackney-ward-indicators/2019").json["scorecards"][
        0
    ]
    rows = {r["component"]: r for r in card["rows"]}
    income = submitted(HACKNEY, "income-deprived")  # lower is better
    assert rows["income-deprived"]["rank"] == 1 + sum(v < income["E05009367"] for v in income.values())
    assert rows["population"]["rank"] is None  # neutral: not ranked


def test_a_failure_that_is_not_a_refusal_is_audited_and_leaves_no_staging(tmp_path, monkeypatch):
    """A fault of localindex or of the machine part-way (here: the build) is not a refusal, but it is
    still an audit line, and the half-written work under var/staging goes with it."""
    settings = Settings(var_dir=tmp_path / "var")
    folder = copy_sample(HACKNEY, tmp_path / "submission")

    def fails(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("publisher.inputs.submission.ingest.build_all", fails)
    with pytest.raises(OSError):
        ingest(folder, "hackney", settings, **QUIET)
    event = audit.read(settings.audit_log)[-1]
    assert (event["status"], event["error"], event["publisher"]) == ("failed", "OSError", "hackney")
    assert not any(settings.staging_dir.iterdir())
    assert (folder / "observations.csv").exists()
