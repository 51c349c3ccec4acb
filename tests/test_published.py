"""The API's one face onto published data (publisher/published.py): the API imports nothing else of
the publisher, and a release record reads every kind of registry entry with the defaults the API
relies on."""

from __future__ import annotations

import ast
from pathlib import Path

from publisher.published import OGL_V3, Publisher, Release

API = Path(__file__).resolve().parent.parent / "api"


def test_the_api_imports_nothing_of_the_publisher_but_its_face():
    found = []
    for path in sorted(API.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            found += [f"{path.relative_to(API)}: {n}" for n in names if n.split(".")[0] == "publisher"]
    assert found, "the API reads published data through publisher.published"
    assert all(line.endswith(": publisher.published") for line in found), found


def _record(**extra) -> dict:
    return {
        "dataset": "http://example.org/data/imd-lsoa/2019/revision/2",
        "graph": "http://example.org/graph/imd-lsoa/2019/abc",
        "dir": "/nowhere/imd-lsoa/2019/abc",
        "stem": "imd-lsoa-2019",
        "series": "imd-lsoa",
        "edition": "2019",
        "observations": 10,
        "published": "2025-01-02T03:04:05+00:00",
        **extra,
    }


def test_a_harvested_record_reads_with_the_defaults_of_a_release():
    harvested = Release.from_record(
        "lbbd/imd-lsoa/2019", _record(member="lbbd", dump="http://example.org/dump.nt.gz", derived_from="")
    )
    assert harvested.member == "lbbd" and harvested.directory == Path("/nowhere/imd-lsoa/2019/abc")
    assert harvested.revision == 1 and harvested.licence == OGL_V3 and harvested.publisher is None
    assert harvested.triples is None and harvested.derived_from is None and harvested.rank_direction == ""
    assert harvested.issued_date == "2025-01-02"  # no issue date: the day it was fetched
    assert harvested.components == () and harvested.history == ()


def test_a_replaced_revision_is_in_the_history_of_the_current_one():
    publisher = {"id": "lbbd", "name": "LBBD", "uri": "http://example.org/id/publisher/lbbd"}
    first = _record(dataset="http://example.org/data/imd-lsoa/2019", issued="2024-01-01")
    first |= {"replaced_by": "http://example.org/data/imd-lsoa/2019/revision/2", "replaced": "2025-01-02"}
    current = Release.from_record(
        "imd-lsoa/2019",
        _record(revision=2, issued="2025-01-02", publisher=publisher, licence=None, history=[first]),
    )
    assert current.publisher == Publisher("lbbd", "LBBD", "http://example.org/id/publisher/lbbd")
    assert current.licence is None  # as recorded: the default is for records without the key
    assert [r.revision for r in current.revisions] == [1, 2]
    assert current.revision_record(1).replaced_by == current.dataset
    assert current.revision_record(2) is current and current.revision_record(3) is None
    assert current.revision_record(1).name == "imd-lsoa/2019" and current.revisions[-1].history == ()
    assert current.observation_uri("E01000001", "2019", "imd", "score") == current.dataset + (
        "/obs/E01000001/2019/imd/score"
    )
