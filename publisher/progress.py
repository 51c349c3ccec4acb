"""Progress bars with rates and ETA for long work, when a person is watching a terminal.

The command line opens ``bars()`` around a build when stdout is a TTY; inside it, ``task`` shows a
bar (datasets built, megabytes of N-Triples checked). Everywhere else (tests, logs, CI) ``task`` is
a no-op and the build's plain progress lines are its only output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

_active: ContextVar[Progress | None] = ContextVar("progress", default=None)


class RateColumn(ProgressColumn):
    """Units done per second, in the task's own unit."""

    def render(self, task: Task) -> Text:
        speed, unit = task.finished_speed or task.speed, task.fields.get("unit", "")
        if not speed:
            return Text("")
        return Text(f"{speed:,.1f} {unit}/s" if speed >= 1 else f"{1 / speed:,.1f} s per {unit.rstrip('s')}")


@contextmanager
def bars(console: Console) -> Iterator[Callable[[str], None]]:
    """Bars on ``console`` for the duration; yields the function that prints a line above them."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
    )
    token = _active.set(progress)
    try:
        with progress:
            yield lambda line: progress.console.print(line, highlight=False, markup=False)
    finally:
        _active.reset(token)


@contextmanager
def task(description: str, total: float | None, unit: str) -> Iterator[Callable[[float], None]]:
    """A bar towards ``total`` ``unit``s while the block runs; yields ``advance(amount)``."""
    progress = _active.get()
    if progress is None:
        yield lambda _amount: None
        return
    identifier = progress.add_task(description, total=total, unit=unit)
    try:
        yield lambda amount: progress.advance(identifier, amount)
    finally:
        progress.remove_task(identifier)
