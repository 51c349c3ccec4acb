"""Every problem in a submission, grouped by file, column and kind, shown capped with totals.

Messages never quote a cell unless it is shaped like a code or a number: a submission may hold
personal data in the wrong place, and an error message must not repeat it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ...errors import InputError, Problem
from .standard import error_codes

SHOWN_PER_GROUP = 5
SAFE_TO_QUOTE = re.compile(r"^[A-Z]\d{8}$|^-?[\d.,]{1,20}$|^\d{4}(-\d{2,4})?$")


def quoted(cell: str) -> str:
    """The cell in quotes when it is a code, number or period; otherwise nothing of its content."""
    return f" {cell!r}" if SAFE_TO_QUOTE.fullmatch(cell) else ""


@dataclass
class ProblemLog:
    """Collects problems; keeps the first few of each (file, column, code) group and counts the rest."""

    shown: dict[tuple, list[Problem]] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)

    def add(self, file: str, row: int | None, column: str | None, code: str, reason: str) -> None:
        if code not in error_codes():
            raise ValueError(f"undocumented problem code {code!r}: add it to vocab/input-format/errors.toml")
        group = (file, column or "", code)
        self.counts[group] += 1
        kept = self.shown.setdefault(group, [])
        if len(kept) < SHOWN_PER_GROUP:
            kept.append(Problem(file, row, column, f"[{code}] {reason}"))

    def __len__(self) -> int:
        return sum(self.counts.values())

    def codes(self) -> set[str]:
        return {code for _, _, code in self.counts}

    def raise_if_any(self) -> None:
        if self.counts:
            raise SubmissionError(self)


class SubmissionError(InputError):
    """A refused submission: every problem grouped, nothing written, nothing published."""

    def __init__(self, log: ProblemLog):
        self.log = log
        lines: list[str] = []
        for group, problems in self.log.shown.items():
            lines += [str(p) for p in problems]
            more = self.log.counts[group] - len(problems)
            if more:
                file, column, code = group
                lines.append(f"{file}:{column}: ... and {more:,} more [{code}] problem(s) in this column")
        total = len(self.log)
        kinds = ", ".join(f"{code} {n:,}" for code, n in sorted(_by_code(self.log).items()))
        lines.append(f"{total:,} problem(s) ({kinds}); the submission was refused and nothing was published.")
        self.problems = [p for group in self.log.shown.values() for p in group]
        Exception.__init__(self, "\n".join(lines))


def _by_code(log: ProblemLog) -> Counter:
    totals: Counter = Counter()
    for (_, _, code), n in log.counts.items():
        totals[code] += n
    return totals
