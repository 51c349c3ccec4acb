"""The input format as published in vocab/input-format/: CSVW table schemas read once and enforced,
so that what the documentation promises is what ingestion checks."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from functools import cache

from ...paths import VOCAB_DIR

FORMAT_DIR = VOCAB_DIR / "input-format"
FORMAT_VERSION = "localindex-submission/1"


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    base: str  # string | decimal | anyURI
    pattern: re.Pattern | None
    max_length: int | None
    minimum: float | None
    source_only: bool  # CSVW suppressOutput: read, checked for shape, never written
    description: str

    @property
    def choices(self) -> list[str] | None:
        """The allowed values when the format is an enumeration like ^(a|b|c)$."""
        if self.pattern is None:
            return None
        found = re.fullmatch(r"\^\(([a-z0-9|-]*)\)\$", self.pattern.pattern)
        return found.group(1).split("|") if found else None


@dataclass(frozen=True)
class TableFormat:
    name: str  # indicators | observations
    title: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_names(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


@cache
def table_format(name: str) -> TableFormat:
    metadata = json.loads((FORMAT_DIR / f"{name}.json").read_text(encoding="utf-8"))
    schema = metadata["tableSchema"]
    columns = []
    for column in schema["columns"]:
        datatype = column.get("datatype", "string")
        if isinstance(datatype, str):
            datatype = {"base": datatype}
        columns.append(
            Column(
                name=column["name"],
                required=column.get("required", False),
                base=datatype.get("base", "string"),
                pattern=re.compile(datatype["format"]) if "format" in datatype else None,
                max_length=datatype.get("maxLength"),
                minimum=datatype.get("minimum"),
                source_only=column.get("suppressOutput", False),
                description=column.get("dc:description", ""),
            )
        )
    key = schema["primaryKey"]
    return TableFormat(
        name, metadata["dc:title"], tuple(columns), tuple([key] if isinstance(key, str) else key)
    )


@cache
def error_codes() -> dict[str, str]:
    """Every documented reason for refusing a submission (vocab/input-format/errors.toml)."""
    with (FORMAT_DIR / "errors.toml").open("rb") as handle:
        return tomllib.load(handle)["codes"]
