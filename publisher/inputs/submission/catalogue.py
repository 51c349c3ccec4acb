"""The indicator catalogue of a submission: one checked row per indicator."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .cells import check_cell
from .problems import ProblemLog
from .reader import rows
from .standard import table_format

PEOPLE_UNITS = {"persons", "households"}  # counts of people: subject to suppression
COUNT_UNITS = PEOPLE_UNITS | {"count"}
BOUNDED_UNITS = {"proportion": (0.0, 1.0), "percent": (0.0, 100.0), "spi-score": (0.0, 100.0)}


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    description: str
    unit: str
    polarity: str
    source: str
    licence: str
    level: str
    period_type: str
    spi_component: str | None
    row: int

    @property
    def counts_people(self) -> bool:
        return self.unit in PEOPLE_UNITS

    @property
    def measure(self) -> str:
        """The measure its values are published under: counts add up, other values average."""
        return "count" if self.unit in COUNT_UNITS else "indicator-value"


def read_catalogue(path: Path, name: str, log: ProblemLog, max_field_chars: int) -> dict[str, Indicator]:
    table = table_format("indicators")
    found: dict[str, Indicator] = {}
    for number, cells in rows(path, name, table, log, max_field_chars):
        values = {c.name: check_cell(c, cells.get(c.name, ""), name, number, log) for c in table.columns}
        if any(v == "" for v in values.values()):
            continue
        identifier = values["indicator_id"]
        if identifier in found:
            log.add(
                name,
                number,
                "indicator_id",
                "duplicate-key",
                f"indicator {identifier!r} is already described in row {found[identifier].row}",
            )
            continue
        found[identifier] = Indicator(
            id=identifier,
            label=values["label"],
            description=values["description"],
            unit=values["unit"],
            polarity=values["polarity"],
            source=values["source"],
            licence=values["licence"],
            level=values["geography_level"],
            period_type=values["period_type"],
            spi_component=values["spi_component"],
            row=number,
        )
    levels = sorted({i.level for i in found.values()})
    if len(levels) > 1:
        rows_of = {level: [i.row for i in found.values() if i.level == level][:5] for level in levels}
        detail = "; ".join(f"{level} (rows {', '.join(map(str, r))})" for level, r in rows_of.items())
        log.add(
            name,
            None,
            "geography_level",
            "mixed-levels",
            f"a submission publishes one dataset at one geography level; found {detail}",
        )
    return found
