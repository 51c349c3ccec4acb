"""The RDF layers of the gate over a release file: one linear pass, then the small remainder.

1. Every observation, by the linear pass (publisher/gate/observations.py).
2. The structure, metadata and code lists (every non-observation triple, a few hundred thousand at
   most) in a small in-memory store with the vocabulary: the structure checks of shapes/checks/
   (`# scope: structure`), the code lists the observations' values must come from, and whether the
   structure is the one the dataset definition describes.
3. pyshacl on the structure, metadata, code lists and the observations of a deterministic sample of
   areas (or every observation with ``full``).
4. The CSVW, read by position, generates exactly the observation triples (publisher/gate/csvw_match.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyoxigraph as ox
from rdflib import Graph

from ..inputs.datasets import DatasetSpec
from ..paths import SHAPES_DIR
from ..progress import task
from ..rdf import uris
from ..rdf.cube import CubeShape
from ..rdf.uris import Minter
from ..rdf.vocab import vocabulary_ntriples
from . import csvw_match, ntriples, observations, sparql_checks
from .observations import Expected, ObservationPass
from .report import Finding, Report
from .shacl import SH, check_shacl, dataset_shacl_shapes

RELEASE_GRAPH = "urn:localindex:release"
SKOS = "http://www.w3.org/2004/02/skos/core#"


def expected_of(spec: DatasetSpec, shape: CubeShape, minter: Minter) -> Expected:
    return Expected(
        dataset=shape.dataset,
        obs_prefix=shape.obs_prefix,
        component_dimension=shape.component_dimension,
        measures=dict(shape.measures),
        datatypes=dict(shape.datatypes),
        rank_measures=shape.rank_measures,
        universe=int(spec.ranking_universe),
        bounds=dict(shape.bounds),
        score_bounds={
            c.uri: (c.score_minimum, c.score_maximum)
            for c in shape.concepts
            if (c.score_minimum, c.score_maximum) != (None, None)
        },
        concepts={c.uri: c.notation for c in shape.concepts},
        area_pattern="^" + spec.area_code_pattern.strip("^$") + "$",
        withheld=frozenset(minter.concept("obs-status", s) for s in ("missing", "suppressed")),
    )


@dataclass
class RdfCheck:
    """What the RDF layers found, and what was read on the way."""

    observations: int
    triples: int
    area_codes: set[str]  # of the release's area list


def check_release_rdf(
    report: Report,
    ntriples_path: Path,
    csvw_metadata: Path,
    spec: DatasetSpec,
    shape: CubeShape,
    minter: Minter,
    sample_points: list[tuple[str, str]] | None,
    step: Callable[[str], None] = lambda _: None,
) -> RdfCheck:
    """Run the RDF layers on ``ntriples_path`` (``sample_points`` None: SHACL on everything)."""
    expected = expected_of(spec, shape, minter)
    linear = ObservationPass(
        expected,
        sample_points=frozenset(sample_points) if sample_points is not None else None,
        keep_all=sample_points is None,
    )
    problems: list[ntriples.SyntaxProblem] = []
    rdf_digest, triples = (0, 0, 0), 0
    size = ntriples_path.stat().st_size / 1e6
    with task(
        f"checking {ntriples_path.name}", size if ntriples_path.suffix == ".nt" else None, "MB"
    ) as done:
        for first_line, block in ntriples.blocks(ntriples_path):
            frame = ntriples.triples(block, first_line, problems)
            triples += frame.height
            rdf_digest = ntriples.add_digests(rdf_digest, ntriples.digest(linear.feed(frame)))
            done(len(block) / 1e6)
    rdf_digest = ntriples.add_digests(rdf_digest, ntriples.digest(linear.finish()))
    if problems:
        focus = [f"line {p.line}: {p.reason}" for p in problems]
        report.extend(
            "rdf", ["LI-syntax"], [Finding("rdf", "LI-syntax", "the file is N-Triples", focus, len(focus))]
        )
    step(f"linear RDF checks: {linear.observation_count:,} observations in {triples:,} triples")

    small = _small_store(linear.other, minter)
    members, structure_findings = _code_lists(small, shape, expected)
    linear.check_codes(members, shape.area_list)
    report.extend("rdf", observations.RULES, list(linear.findings.values()))
    rules, findings = sparql_checks.run(
        small, [RELEASE_GRAPH, minter.vocabulary_graph], shape, spec, minter, "structure"
    )
    report.extend("structure", [*rules, "LI-structure"], findings + structure_findings)
    step("structure checks")

    shapes = dataset_shacl_shapes(spec, shape, minter)
    shacl_rules = sorted({str(m).split(":")[0] for m in shapes.objects(None, SH.message)})
    data = _shacl_data(small, linear.sample)
    report.extend("shacl", shacl_rules, check_shacl(data, shapes))
    sampled = sum(frame["s"].n_unique() for frame in linear.sample)
    scope = "" if sample_points is None else f" of {len(sample_points)} sample points"
    step(f"SHACL on the metadata and {sampled:,} observations{scope}")

    def observation_triples() -> Iterator[pl.DataFrame]:  # again, only to name differences
        for first_line, block in ntriples.blocks(ntriples_path):
            frame = ntriples.triples(block, first_line, [])
            yield frame.filter(pl.col("s").str.starts_with(f"<{shape.obs_prefix}"))

    report.extend("csvw", ["LI-csvw"], csvw_match.compare(csvw_metadata, rdf_digest, observation_triples))
    step("CSVW read by position against the RDF")
    prefix = f"<{uris.GEOGRAPHY}"
    codes = {a[len(prefix) : -1] for a in members["area"] if a.startswith(prefix)}
    return RdfCheck(linear.observation_count, triples, codes)


def _small_store(frames: list[pl.DataFrame], minter: Minter) -> ox.Store:
    store = ox.Store()
    store.load(
        vocabulary_ntriples(minter.defs),
        format=ox.RdfFormat.N_TRIPLES,
        to_graph=ox.NamedNode(minter.vocabulary_graph),
    )
    if frames:
        text = pl.concat(frames).select(ntriples.line_text().alias("line"))["line"].str.join("\n").item()
        store.load(text.encode() + b"\n", format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(RELEASE_GRAPH))
    return store


def _release_query(name: str, store: ox.Store, **bound: str) -> list:
    text = sparql_checks.bind(
        (SHAPES_DIR / "release" / f"{name}.rq").read_text(), {k: f"<{v}>" for k, v in bound.items()}
    )
    return list(store.query(text, use_default_graph_as_union=True))


def _code_lists(
    store: ox.Store, shape: CubeShape, expected: Expected
) -> tuple[dict[str, set[str]], list[Finding]]:
    """Allowed values per coded column, from the structure the release states and the vocabulary;
    and whether that structure is the one its dataset definition describes."""
    columns = {shape.component_dimension: "component", uris.UNIT_MEASURE: "unit", uris.OBS_STATUS: "status"}
    members: dict[str, set[str]] = {}
    for solution in _release_query("code-lists", store, dataset=shape.dataset):
        column = columns.get(solution["property"].value)
        if column:
            members.setdefault(column, set()).add(str(solution["code"]))
    areas = _release_query("area-list", store, areaList=shape.area_list)
    members["area"] = {str(s["area"]) for s in areas}
    stated = {s["measure"].value for s in _release_query("measures", store, dataset=shape.dataset)}
    wanted = set(expected.measures.values())
    if stated == wanted:
        return members, []
    focus = [
        f"{shape.dataset}: the structure's measures are {sorted(stated)}, the definition's {sorted(wanted)}"
    ]
    message = "the release states the structure its definition describes"
    return members, [Finding("structure", "LI-structure", message, focus, 1)]


def _shacl_data(store: ox.Store, sample: list[pl.DataFrame]) -> Graph:
    """The structure, metadata and code lists (shapes/shacl-metadata.rq) and the sampled observations."""
    query = (SHAPES_DIR / "shacl-metadata.rq").read_text()
    triples = store.query(query, use_default_graph_as_union=True)
    data = Graph()
    data.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    if sample:
        lines = pl.concat(sample).select(ntriples.line_text().alias("line"))["line"].str.join("\n").item()
        data.parse(data=lines, format="nt")
    return data
