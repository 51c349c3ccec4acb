"""Index builders: each turns a dataset's inputs into the tidy observation table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from rdflib import Graph


@dataclass
class BuiltTable:
    """A builder's output: observations, the areas they cover, and what was checked on the way."""

    table: pd.DataFrame
    areas: pd.DataFrame  # columns: code, name, parent (may be empty strings)
    component_dimension: str  # notation of the dimension property under /def/dimension/
    method: str  # notation of the method under /def/method/
    checks: list[str] = field(default_factory=list)
    areas_without_data: list[str] = field(default_factory=list)  # areas of the level that get no value
    # adds what only this builder knows to the release metadata: (graph, dataset IRI, minter)
    describe: Callable | None = None
    vocabulary: Graph | None = None  # terms the release defines itself (a submission's indicators)


def builder(name: str):
    from . import federated, imd, imd_summary, spi, submission

    builders = {
        "imd": imd.build,
        "imd-summary": imd_summary.build,
        "spi": spi.build,
        "federated": federated.build,
        "submission": submission.build,
    }
    try:
        return builders[name]
    except KeyError:
        raise ValueError(f"unknown builder {name!r} (known: {', '.join(builders)})") from None
