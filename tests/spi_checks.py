"""What tests of every Social Progress Index share: a release read back from its CSVW download, and a
ward's scores recomputed from that download and the published method graph alone (no localindex code)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import SKOS

from publisher.config import Settings

from .conftest import release_csv

MEASURES = ["spi-score", "spi-rank", "indicator-value"]
TRANSFORMS = {"identity": lambda x: x, "sqrt": np.sqrt, "log": np.log}


def published_long(settings: Settings, name: str) -> pd.DataFrame:
    """The release's CSVW download (one column per measure, statuses beside it) as a long table."""
    registry = json.loads((settings.var_dir / "registry.json").read_text())
    directory = Path(registry["releases"][name]["dir"])
    stem = name.replace("/", "-")
    wide = release_csv(directory, stem, dtype={"period": str})
    long = wide.melt(["area", "period", "component"], MEASURES, var_name="measure", value_name="value")
    status = release_csv(directory, stem, status=True, dtype=str).drop(columns="area_name")
    long = long.merge(status, on=["area", "period", "component", "measure"], how="left")
    return long.fillna({"status": ""})


def dereferenced_method(client, base: str, notation: str) -> Graph:
    """The method as a reader finds it by following links: its document (with its parameter terms),
    then each concept it scores and every broader concept, each fetched as Turtle from its URI."""
    graph = Graph()
    pending, seen = [f"{base}def/method/{notation}"], set()
    while pending:
        uri = pending.pop()
        seen.add(uri)
        response = client.get(uri.removeprefix(base.rstrip("/")), headers={"Accept": "text/turtle"})
        assert response.status_code == 200, uri
        graph.parse(data=response.get_data(as_text=True), format="turtle", publicID=base)
        for link in (Namespace(base + "def/ontology/").indicator, SKOS.broader):
            pending += [
                str(o) for o in graph.objects(None, link) if str(o) not in seen and str(o) not in pending
            ]
    return graph


def assert_recomputed(method: Graph, base: str, notation: str, ward: pd.DataFrame) -> float:
    """Check every score of one area (``ward``: component × measure) against the method graph's
    goalposts, transforms and equal weights; return the index as recomputed."""
    li = Namespace(base + "def/ontology/")
    plan = URIRef(f"{base}def/method/{notation}")
    components: dict[URIRef, list[float]] = {}
    for node in method.objects(plan, li.indicatorParameters):
        concept = method.value(node, li.indicator)
        name = str(method.value(concept, SKOS.notation))
        utopia, dystopia = (float(method.value(node, p)) for p in (li.utopia, li.dystopia))
        transform = TRANSFORMS[str(method.value(node, li.transform))]
        x = ward.loc[name, "indicator-value"]
        expected = np.clip(
            100 * (transform(x) - transform(dystopia)) / (transform(utopia) - transform(dystopia)), 0, 100
        )
        assert ward.loc[name, "spi-score"] == pytest.approx(expected, abs=1e-3), name  # published to 6 dp
        components.setdefault(method.value(concept, SKOS.broader), []).append(expected)
    dimensions: dict[URIRef, list[float]] = {}
    for component, values in components.items():
        name = str(method.value(component, SKOS.notation))
        assert ward.loc[name, "spi-score"] == pytest.approx(np.mean(values), abs=1e-3), name
        dimensions.setdefault(method.value(component, SKOS.broader), []).append(np.mean(values))
    for dimension, values in dimensions.items():
        name = str(method.value(dimension, SKOS.notation))
        assert ward.loc[name, "spi-score"] == pytest.approx(np.mean(values), abs=1e-3), name
    assert len(dimensions) == 3
    index = float(np.mean([np.mean(v) for v in dimensions.values()]))
    assert ward.loc["spi", "spi-score"] == pytest.approx(index, abs=1e-3)
    return index
