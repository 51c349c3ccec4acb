"""Schemathesis against /api/v1/openapi.json, served by a real `localindex serve` of the small build
(issue 9). Every documented operation is fuzzed from its examples, schemathesis's coverage cases
and generated requests; no answer may be a server error, carry a status or content type that the
document does not list, or have a body that its schema does not describe, and a request that breaks
the document's own parameter schemas must be refused (4xx), not answered as if it were fine; a
method that the document does not list gets a 405 that says which are allowed.

Run as `st run` in a subprocess: schemathesis's lazy pytest loader (`from_fixture`, needed for a
server started by a fixture) does not run under pytest 9.2. Bounded and repeatable: deterministic
generation, one worker (responses feed later generation, so their order must not vary), a few dozen
examples per operation, requests only to the server on 127.0.0.1, a timeout on the whole run."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from api.rest import OPENAPI
from tests.conftest import Server, start_server

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "unsupported_method",
)
# The stateful phase follows the links schemathesis infers between operations (an area to its
# history); the report lists it as one case beside the operations.
STATEFUL = "Stateful tests"
MAX_EXAMPLES = 50  # per operation, in the fuzzing phase; examples and coverage cases come on top


@dataclass(frozen=True)
class FuzzRun:
    returncode: int
    output: str
    tested: dict[str, int]  # operation label ("GET /areas/{code}") → its failures in the JUnit report
    skipped: list[str]


@pytest.fixture(scope="module")
def server(small_settings, tmp_path_factory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("schema-fuzz"), small_settings)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def documented() -> dict[str, str]:
    """operationId → the operation's label as schemathesis writes it."""
    paths = json.loads(OPENAPI.read_text())["paths"]
    return {
        operation["operationId"]: f"{method.upper()} {path}"
        for path, methods in paths.items()
        for method, operation in methods.items()
    }


@pytest.fixture(scope="module")
def fuzz_run(server: Server, documented: dict[str, str], tmp_path_factory) -> FuzzRun:
    """One `st run` over the served document. Its `servers` entry names the configured base URI, not
    this server's port, so the base URL is given. Schemathesis leaves out the operation that serves
    the document unless a filter names it: naming every documented operation brings it in."""
    work = tmp_path_factory.mktemp("schemathesis")  # its cwd: the run's cache goes there, not the repo
    junit = work / "junit.xml"
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "run", server.url + "api/v1/openapi.json"),
        *("--url", server.url + "api/v1", "--checks", ",".join(CHECKS)),
        *("--max-examples", str(MAX_EXAMPLES), "--generation-deterministic", "--workers", "1"),
        *("--request-timeout", "60", "--no-color", "--report", "junit", "--report-junit-path", str(junit)),
        *(argument for operation in documented for argument in ("--include-operation-id", operation)),
    ]
    finished = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=600)
    output = finished.stdout + finished.stderr
    assert junit.exists(), output
    cases = ElementTree.parse(junit).getroot().iter("testcase")
    tested, skipped = {}, []
    for case in cases:
        tested[case.get("name")] = len(case.findall("failure")) + len(case.findall("error"))
        if case.find("skipped") is not None:
            skipped.append(case.get("name"))
    return FuzzRun(finished.returncode, output, tested, skipped)


def test_fuzzing_finds_no_server_error_and_no_answer_off_the_document(fuzz_run: FuzzRun) -> None:
    failures = {label: count for label, count in fuzz_run.tested.items() if count}
    assert fuzz_run.returncode == 0 and not failures, fuzz_run.output


def test_every_documented_operation_was_fuzzed(fuzz_run: FuzzRun, documented: dict[str, str]) -> None:
    operations = [label for label in fuzz_run.tested if label != STATEFUL]
    assert sorted(operations) == sorted(documented.values()), fuzz_run.output
    assert not fuzz_run.skipped, fuzz_run.output
