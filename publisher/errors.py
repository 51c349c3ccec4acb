"""Problems found in inputs, reported as file:row:column: reason."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.row, self.column) if p not in (None, ""))
        return f"{where}: {self.reason}"


class InputError(Exception):
    """One or more problems in the inputs; nothing has been published."""

    def __init__(self, problems: list[Problem], shown: int = 50):
        self.problems = problems
        lines = [str(p) for p in problems[:shown]]
        if len(problems) > shown:
            lines.append(f"... and {len(problems) - shown} more")
        lines.append(f"{len(problems)} problem(s) in the inputs; nothing was published.")
        super().__init__("\n".join(lines))
