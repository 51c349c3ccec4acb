"""What every index builder returns."""

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
