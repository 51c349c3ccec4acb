"""The bad-input corpus: each case is a real sample submission (Hackney's ward indicators) with one
thing wrong. Every case must be refused with its documented problem code, name where the problem is,
exit non-zero from the command line, and leave what is published byte-identical."""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from publisher.cli import main
from publisher.config import Settings
from publisher.inputs.submission import audit
from publisher.inputs.submission.ingest import ingest
from publisher.inputs.submission.standard import error_codes
from tests.conftest import settings_file
from tests.submissions.helpers import copy_sample, edit_rows, published_fingerprint, read_rows, write_rows

SAMPLE = "hackney-wards-2019"
OBS, IND, MANIFEST = "observations.csv", "indicators.csv", "submission.toml"


def set_row(index: int, **changes):
    def change(rows):
        rows[index].update(changes)
        return rows

    return change


def of_indicator(indicator: str, **changes):
    def change(rows):
        for row in rows:
            if row["indicator_id"] == indicator:
                row.update(changes)
                break
        return rows

    return change


def rename_column(old: str, new: str):
    def mutate(folder: Path):
        text = (folder / OBS).read_text(encoding="utf-8")
        header, rest = text.split("\n", 1)
        (folder / OBS).write_text(header.replace(old, new) + "\n" + rest, encoding="utf-8")

    return mutate


def rows_of(name: str, change):
    return lambda folder: edit_rows(folder / name, change)


def write_bytes(name: str, content: bytes):
    return lambda folder: (folder / name).write_bytes(content)


def manifest_line(old: str, new: str):
    def mutate(folder: Path):
        text = (folder / MANIFEST).read_text(encoding="utf-8")
        assert old in text
        (folder / MANIFEST).write_text(text.replace(old, new), encoding="utf-8")

    return mutate


def drop_column(name: str, column: str):
    def mutate(folder: Path):
        rows = read_rows(folder / name)
        for row in rows:
            row.pop(column)
        write_rows(folder / name, rows)

    return mutate


def zipped(*members: tuple[str, bytes], compression=zipfile.ZIP_DEFLATED):
    def mutate(folder: Path) -> Path:
        target = folder.parent / "submission.zip"
        with zipfile.ZipFile(target, "w", compression=compression) as bundle:
            for name, content in members:
                bundle.writestr(name, content)
        return target

    return mutate


def symlinked(folder: Path) -> None:
    (folder / OBS).unlink()
    os.symlink("/etc/passwd", folder / OBS)


def manifest_symlinked(folder: Path) -> None:
    outside = folder.parent / "elsewhere.toml"
    (folder / MANIFEST).rename(outside)
    os.symlink(outside, folder / MANIFEST)


def quote_opened_on_line(line: int):
    def mutate(folder: Path) -> None:
        lines = (folder / OBS).read_text(encoding="utf-8").splitlines(keepends=True)
        lines[line - 1] = '"' + lines[line - 1]
        (folder / OBS).write_text("".join(lines), encoding="utf-8")

    return mutate


def wide_header(extra: int):
    def mutate(folder: Path) -> None:
        header, rest = (folder / OBS).read_text(encoding="utf-8").split("\n", 1)
        added = "".join(f",c{i}" for i in range(extra))
        (folder / OBS).write_text(header + added + "\n" + rest, encoding="utf-8")

    return mutate


def headerless(name: str):
    """The file without its header line, with an e-mail address in its first row of data."""

    def mutate(folder: Path) -> None:
        rows = (folder / name).read_text(encoding="utf-8").split("\n")[1:]
        fields = rows[0].split(",")
        fields[1] = "jo.bloggs@example.org"
        (folder / name).write_text("\n".join([",".join(fields), *rows[1:]]), encoding="utf-8")

    return mutate


def damaged_zip(folder: Path) -> Path:
    target = zipped(*((p.name, p.read_bytes()) for p in sorted(folder.iterdir())))(folder)
    data = bytearray(target.read_bytes())
    data[200:260] = b"\xff" * 60  # inside the first member's compressed data
    target.write_bytes(bytes(data))
    return target


def nul_late(folder: Path) -> None:
    data = (folder / OBS).read_bytes()
    assert len(data) > 9000
    (folder / OBS).write_bytes(data[:9000] + b"\x00" + data[9000:])


def cp1252(folder: Path) -> None:
    text = (
        (folder / IND)
        .read_text(encoding="utf-8")
        .replace("Homelessness acceptances", "Homelessness — £ café")
    )
    (folder / IND).write_bytes(text.encode("cp1252"))


def record_level(folder: Path) -> None:
    rows = read_rows(folder / OBS)
    edit_rows(folder / OBS, lambda r: r + [dict(rows[0]) for _ in range(40)])


@dataclass
class Case:
    id: str
    mutate: object
    code: str
    where: str = ""  # text the message must hold (file:row:column)
    settings: dict = field(default_factory=dict)


CASES = [
    Case("empty-file", write_bytes(OBS, b""), "empty-file", "observations.csv"),
    Case("header-only", write_bytes(OBS, b"area_code,period,indicator_id,value\n"), "no-rows", "observations.csv"),
    Case("missing-column", drop_column(OBS, "value"), "value-missing", "observations.csv:2:value"),
    Case("missing-required-column", drop_column(OBS, "indicator_id"), "missing-column", "observations.csv:1:indicator_id"),
    Case("extra-column", rows_of(OBS, lambda r: [x | {"weight": "1"} for x in r]), "unexpected-column", "observations.csv:1:weight"),
    Case("renamed-column", rename_column("area_code", "areacode"), "unexpected-column", "did you mean area_code"),
    Case("duplicate-column", rename_column("numerator", "value"), "duplicate-column", "observations.csv:1:value"),
    Case("duplicate-key", rows_of(OBS, lambda r: r + [dict(r[5])]), "duplicate-key", "observations.csv:170:area_code"),
    Case("duplicate-indicator", rows_of(IND, lambda r: r + [dict(r[0])]), "duplicate-key", "indicators.csv:10:indicator_id"),
    Case("unknown-gss-code", rows_of(OBS, set_row(0, area_code="E05999999")), "unknown-area", "observations.csv:2:area_code"),
    Case("retired-gss-code", rows_of(OBS, set_row(3, area_code="E07000190")), "retired-area", "observations.csv:5:area_code"),
    Case("wrong-level", rows_of(OBS, set_row(1, area_code="E09000012")), "wrong-level", "observations.csv:3:area_code"),
    Case("welsh-code", rows_of(OBS, set_row(1, area_code="W05000981")), "wrong-level", "observations.csv:3:area_code"),
    Case("not-a-gss-code", rows_of(OBS, set_row(2, area_code="Hackney Central")), "not-gss", "observations.csv:4:area_code"),
    Case("non-numeric", rows_of(OBS, set_row(4, value="n/a")), "not-a-number", "observations.csv:6:value"),
    Case("nan", rows_of(OBS, set_row(4, value="NaN")), "not-finite", "observations.csv:6:value"),
    Case("infinity", rows_of(OBS, set_row(4, value="inf")), "not-finite", "observations.csv:6:value"),
    Case("negative-count", rows_of(OBS, of_indicator("population", value="-12")), "negative-count", ":value"),
    Case("fractional-count", rows_of(OBS, of_indicator("population", value="1200.5")), "not-whole", ":value"),
    Case("negative-denominator", rows_of(OBS, set_row(0, denominator="-5")), "negative", "observations.csv:2:denominator"),
    Case("numerator-above-denominator", rows_of(OBS, set_row(0, numerator="9999", denominator="100")), "numerator-exceeds-denominator", "observations.csv:2:numerator"),
    Case("percentage-above-100", rows_of(OBS, set_row(0, value="104.2")), "out-of-range", "observations.csv:2:value"),
    Case("negative-rate", rows_of(OBS, of_indicator("homelessness", value="-1.5")), "out-of-range", ":value"),
    Case("mixed-periods", rows_of(OBS, set_row(7, period="2018-19")), "period-type", "observations.csv:9:period"),
    Case("future-period", rows_of(OBS, lambda r: [x | {"period": "2031"} for x in r]), "future-period", ":period"),
    Case("ancient-period", rows_of(OBS, set_row(0, period="1066")), "invalid-period", "observations.csv:2:period"),
    Case("value-and-suppressed", rows_of(OBS, set_row(0, status="suppressed")), "value-with-status", "observations.csv:2:status"),
    Case("no-value-no-status", rows_of(OBS, set_row(0, value="")), "value-missing", "observations.csv:2:value"),
    Case("unknown-status", rows_of(OBS, set_row(0, status="estimate")), "invalid-value", "observations.csv:2:status"),
    Case("unknown-indicator", rows_of(OBS, set_row(0, indicator_id="child-poverty")), "unknown-indicator", "observations.csv:2:indicator_id"),
    Case("unknown-unit", rows_of(IND, set_row(0, unit="pounds")), "invalid-value", "indicators.csv:2:unit"),
    Case("bad-licence", rows_of(IND, set_row(0, licence="OGL")), "invalid-value", "indicators.csv:2:licence"),
    Case("mixed-levels", rows_of(IND, set_row(2, geography_level="lad")), "mixed-levels", "indicators.csv:geography_level"),
    Case("long-label", rows_of(IND, set_row(0, label="Income " * 40)), "too-long", "indicators.csv:2:label"),
    Case("huge-field", rows_of(OBS, set_row(0, notes="x" * 20_000)), "field-too-long", "observations.csv:2"),
    Case("ragged-row", lambda f: (f / OBS).open("a").write("E05009367,Brownswood,2019\n"), "row-length", "observations.csv:170"),
    Case("unclosed-quote", lambda f: (f / OBS).open("a").write('E05009367,"Brownswood,2019,population,1\n'), "csv-syntax", "observations.csv"),
    Case("unclosed-quote-early", quote_opened_on_line(6), "csv-syntax", "observations.csv:6: [csv-syntax] a quoted field opened on line 6 is never closed"),
    Case("binary-file", write_bytes(OBS, b"PK\x03\x04\x00\x00\x00binary\x00\x01\x02"), "binary-file", "observations.csv"),
    Case("cp1252", cp1252, "encoding", "indicators.csv:7"),
    Case("personal-column-email", rows_of(OBS, lambda r: [x | {"Email": "resident@example.org"} for x in r]), "personal-data", "observations.csv:1:Email"),
    Case("personal-column-dob", rows_of(OBS, lambda r: [x | {"Date of Birth": "01/02/1990"} for x in r]), "personal-data", "observations.csv:1:Date of Birth"),
    Case("personal-column-nhs", rows_of(OBS, lambda r: [x | {"nhs_number": "9434765919"} for x in r]), "personal-data", "observations.csv:1:nhs_number"),
    Case("postcode-in-label", rows_of(IND, set_row(1, label="Families near E8 1DY")), "personal-data", "indicators.csv:3:label"),
    Case("email-in-description", rows_of(IND, set_row(2, description="Ask jo.bloggs@hackney.gov.uk")), "personal-data", "indicators.csv:4:description"),
    Case("ni-number-in-description", rows_of(IND, set_row(0, description="Contact QQ 12 34 56 C for details")), "personal-data", "indicators.csv:2:description"),
    Case("ni-number-unspaced-in-source", rows_of(IND, set_row(1, source="Case AB123456C")), "personal-data", "indicators.csv:3:source"),
    Case("date-of-birth-in-source", rows_of(IND, set_row(2, source="Resident, DOB 14/07/1962")), "personal-data", "indicators.csv:4:source"),
    Case("born-in-description", rows_of(IND, set_row(0, description="The resident born 3 March 1985")), "personal-data", "indicators.csv:2:description"),
    Case("old-date-in-label", rows_of(IND, set_row(1, label="Visit of 02/11/1958")), "personal-data", "indicators.csv:3:label"),
    Case("titled-name-in-label", rows_of(IND, set_row(0, label="Cases handled by Mrs Okafor")), "personal-data", "indicators.csv:2:label"),
    Case("titled-name-in-manifest", manifest_line('title = "Ward', 'title = "Dr Jane Patel\'s ward'), "personal-data", "submission.toml:title"),
    Case("ni-number-in-manifest", manifest_line('description = "Eight', 'description = "JX 12 34 56 A. Eight'), "personal-data", "submission.toml:description"),
    Case("e-mail-as-manifest-key", lambda f: (f / MANIFEST).open("a").write('"jo.bloggs@example.org" = "x"\n'), "personal-data", "submission.toml: [personal-data] a key of the manifest"),
    Case("record-level", record_level, "record-level", "looks like record-level data"),
    Case("manifest-missing", lambda f: (f / MANIFEST).unlink(), "manifest", "submission.toml"),
    Case("manifest-unknown-key", lambda f: (f / MANIFEST).open("a").write('owner = "x"\n'), "manifest", "submission.toml:owner"),
    Case("manifest-wrong-format", manifest_line("localindex-submission/1", "localindex-submission/9"), "manifest", "submission.toml:format"),
    Case("path-traversal", manifest_line('["observations.csv"]', '["../../etc/passwd.csv"]'), "unsafe-path", "submission.toml:observations"),
    Case("absolute-path", manifest_line('"indicators.csv"', '"/etc/hosts"'), "unsafe-path", "submission.toml:indicators"),
    Case("symlink", symlinked, "unsafe-path", "submission.toml:observations"),
    Case("missing-file", manifest_line('["observations.csv"]', '["observations-2020.csv"]'), "file-not-found", "submission.toml:observations"),
    Case("file-too-large", lambda f: None, "file-too-large", "observations.csv", {"submission_max_file_bytes": 1000}),
    Case("zip-bomb", zipped(("submission.toml", b"x"), ("observations.csv", b"0" * 5_000_000)), "archive", "submission.zip"),
    Case("zip-too-big", zipped(("observations.csv", b"0" * 3_000_000), compression=zipfile.ZIP_STORED), "archive", "unpacks to more than", {"submission_max_archive_bytes": 1_000_000}),
    Case("zip-traversal", zipped(("../evil.csv", b"a,b\n")), "unsafe-path", "submission.zip"),
    Case("zip-folder", zipped(("sub/observations.csv", b"a,b\n")), "unsafe-path", "submission.zip"),
    Case("zip-duplicate-member", zipped(("observations.csv", b"a,b\n"), ("observations.csv", b"c,d\n")), "archive", "members share a name: observations.csv"),
    Case("manifest-symlink", manifest_symlinked, "unsafe-path", "submission.toml is a link"),
    Case("header-of-20000-columns", wide_header(20_000), "unexpected-column", "observations.csv:1: [unexpected-column] 20,007 columns"),
    Case("zip-damaged", damaged_zip, "archive", "is damaged in the zip"),
    Case("nul-after-8-kib", nul_late, "binary-file", "observations.csv:"),
    Case("edition-300-characters", manifest_line('edition = "2019"', 'edition = "' + "9" * 300 + '"'), "manifest", "submission.toml:edition"),
    Case("title-as-array", manifest_line('title = "Ward indicators of deprivation for Hackney, 2019"', 'title = ["Ward", "indicators"]'), "manifest", "not a TOML array"),
    Case("title-as-table", manifest_line('title = "Ward indicators of deprivation for Hackney, 2019"', "title = { text = 'Ward' }"), "manifest", "not a TOML table"),
    Case("escape-in-title", manifest_line('title = "Ward', 'title = "\\u001b[31mWard'), "control-character", "U+001B"),
    Case("bell-in-description", manifest_line('description = "Eight', 'description = "\\u0007Eight'), "control-character", "U+0007"),
    Case("right-to-left-override-in-title", manifest_line('title = "Ward', 'title = "\\u202eWard'), "control-character", "U+202E"),
    Case("escape-in-label", rows_of(IND, set_row(0, label="\x1b[2JIncome deprivation")), "control-character", "indicators.csv:2:label"),
    Case("direction-mark-in-description", rows_of(IND, set_row(1, description="Rate \u2066reversed\u2069")), "control-character", "indicators.csv:3:description"),
    Case("full-width-period", rows_of(OBS, lambda r: [*r, r[0] | {"period": "\uff12\uff10\uff11\uff19"}]), "period-type", "observations.csv:170:period"),
    Case("arabic-indic-digits-in-value", rows_of(OBS, set_row(0, value="\u0661\u0662")), "not-a-number", "observations.csv:2:value"),
    Case("header-less-observations", headerless(OBS), "missing-column", "observations.csv:1: [missing-column] the first line names none"),
    Case("header-less-indicators", headerless(IND), "missing-column", "indicators.csv:1: [missing-column] the first line names none"),
    Case("e-mail-among-headers", rename_column("area_name", "jo.bloggs@example.org"), "unexpected-column", "observations.csv:1:column 2"),
    Case("e-mail-among-headers-and-one-missing", rename_column("indicator_id", "jo.bloggs@example.org"), "missing-column", "found: area_code, area_name, period, column 4, value"),
    Case("not-a-zip", lambda f: (f.parent / "bad.zip").write_bytes(b"not a zip") and f.parent / "bad.zip", "archive", "bad.zip"),
]  # fmt: skip


def submitted(case: Case, folder: Path) -> Path:
    """What the case submits: the folder it changed, or the archive it made."""
    made = case.mutate(folder)
    return made if isinstance(made, Path) else folder


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Settings:
    """A deployment with the real Hackney sample published: the state every case must leave alone."""
    settings = Settings(var_dir=tmp_path_factory.mktemp("corpus") / "var")
    source = copy_sample(SAMPLE, tmp_path_factory.mktemp("sample") / SAMPLE)
    assert ingest(source, "hackney", settings, progress=lambda _: None).status == "published"
    return settings


def test_corpus_is_large_and_documented():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    assert {c.code for c in CASES} <= set(error_codes())


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_submission_is_refused_and_changes_nothing(case: Case, published: Settings, tmp_path: Path):
    folder = copy_sample(SAMPLE, tmp_path / "submission")
    source = submitted(case, folder)
    settings = published.with_overrides(**case.settings)
    before = published_fingerprint(published)
    result = ingest(source, "hackney", settings, delete_source=True, progress=lambda _: None)
    assert result.status == "refused", result
    assert f"[{case.code}]" in result.message, result.message
    assert case.where in result.message, result.message
    assert "jo.bloggs" not in result.message and "QQ 12" not in result.message, "personal data echoed"
    assert "nothing was published" in result.message
    assert published_fingerprint(published) == before
    assert source.exists(), "a refused submission's files are kept even with --delete-source"
    assert not any(settings.staging_dir.iterdir()), "a refusal left files in staging"
    last = audit.read(settings.audit_log)[-1]
    assert last["status"] == "refused" and case.code in last["problem_codes"], last
    assert "jo.bloggs" not in json.dumps(last) and "QQ 12" not in json.dumps(last), "personal data audited"


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.id in {"duplicate-key", "path-traversal", "zip-bomb"}], ids=lambda c: c.id
)
def test_command_line_exits_non_zero(case: Case, published: Settings, tmp_path: Path):
    folder = copy_sample(SAMPLE, tmp_path / "submission")
    source = submitted(case, folder)
    config = settings_file(tmp_path, var_dir=str(published.var_dir))
    before = published_fingerprint(published)
    result = CliRunner().invoke(
        main, ["--config", str(config), "ingest", str(source), "--publisher", "hackney"]
    )
    assert result.exit_code == 1
    assert f"[{case.code}]" in result.output
    assert published_fingerprint(published) == before


def test_problems_are_grouped_capped_and_totalled(published: Settings, tmp_path: Path):
    folder = copy_sample(SAMPLE, tmp_path / "submission")
    edit_rows(folder / OBS, lambda rows: [r | {"value": "n/a"} for r in rows])
    result = ingest(folder, "hackney", published, progress=lambda _: None)
    lines = result.message.splitlines()
    assert sum(line.startswith("observations.csv:") and ": [not-a-number]" in line for line in lines) == 5
    assert "... and 163 more [not-a-number] problem(s)" in result.message
    assert "168 problem(s) (not-a-number 168)" in result.message


def test_unknown_publisher_is_refused(published: Settings, tmp_path: Path):
    config = settings_file(tmp_path, var_dir=str(published.var_dir))
    folder = copy_sample(SAMPLE, tmp_path / "submission")
    result = CliRunner().invoke(
        main, ["--config", str(config), "ingest", str(folder), "--publisher", "islington"]
    )
    assert result.exit_code == 1
    assert "'islington' is not registered" in result.output


@pytest.mark.parametrize("publisher", ["../../etc", "hackney/../lbbd", "a" * 300, "hack ney"])
def test_an_impossible_publisher_id_is_a_clear_refusal(published: Settings, tmp_path: Path, publisher: str):
    config = settings_file(tmp_path, var_dir=str(published.var_dir))
    folder = copy_sample(SAMPLE, tmp_path / "submission")
    result = CliRunner().invoke(
        main, ["--config", str(config), "ingest", str(folder), "--publisher", publisher]
    )
    assert result.exit_code == 1
    assert "--publisher: publisher id is not a valid URI segment" in result.output
    assert audit.read(published.audit_log)[-1]["status"] == "refused"
