"""The SHACL layer: pyshacl on a release's metadata, structure, code lists and sampled observations."""

from __future__ import annotations

from pyshacl import validate as shacl_validate
from rdflib import Graph, Namespace

from ..inputs.datasets import DatasetSpec
from ..paths import SHAPES_DIR
from ..rdf.cube import CubeShape
from ..rdf.shapes import dataset_shapes
from ..rdf.uris import Minter
from .report import SHOWN, Finding

SH = Namespace("http://www.w3.org/ns/shacl#")


def generic_shapes() -> Graph:
    graph = Graph()
    graph.parse(SHAPES_DIR / "datacube.ttl", format="turtle")
    return graph


def dataset_shacl_shapes(spec: DatasetSpec, shape: CubeShape, minter: Minter) -> Graph:
    """The generic Data Cube shapes and those generated from the release's structure."""
    return generic_shapes() + dataset_shapes(spec, shape, minter)


def check_shacl(data: Graph, shapes: Graph) -> list[Finding]:
    conforms, results, _ = shacl_validate(
        data, shacl_graph=shapes, inference="none", advanced=False, meta_shacl=False, allow_warnings=False
    )
    if conforms:
        return []
    grouped: dict[str, list[str]] = {}
    for result in results.subjects(SH.resultSeverity, SH.Violation):
        message = str(results.value(result, SH.resultMessage) or results.value(result, SH.sourceShape))
        grouped.setdefault(message, []).append(str(results.value(result, SH.focusNode)))
    findings = []
    for message, focus in sorted(grouped.items()):
        rule, _, text = message.partition(": ")
        focus = sorted(set(focus))
        findings.append(Finding("shacl", rule, text or message, focus[:SHOWN], len(focus)))
    return findings


def sample_points(area_codes, components: list[str], size: int) -> list[tuple[str, str]]:
    """A deterministic sample of whole dimension points (area, component), spread evenly over the
    sorted areas and taking each component in turn, for the SHACL layer."""
    ordered = sorted(area_codes)
    count = min(size, len(ordered) * len(components))
    step = len(ordered) / count if count else 1
    return [(ordered[int(i * step) % len(ordered)], components[i % len(components)]) for i in range(count)]
