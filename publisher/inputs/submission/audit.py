"""The ingest audit log (JSON lines, var/audit/ingest.jsonl): who submitted what, when, with what
result, and the checksums of the files; counts and codes only, never a value from a submission."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path


def record(log_path: Path, event: dict) -> None:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    entry = {"time": datetime.now(UTC).isoformat(timespec="seconds"), **event}
    with log_path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, sort_keys=True) + "\n")


def read(log_path: Path) -> list[dict]:
    if not log_path.exists():
        return []
    return [json.loads(line) for line in log_path.read_text(encoding="utf-8").splitlines() if line]
