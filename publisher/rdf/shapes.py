"""Per-dataset SHACL shapes generated from a structure definition (IC-11, 13, 15, 16, 19 and the
localindex ranges), to run with the generic shapes/datacube.ttl. Each shape's sh:message starts
with the rule it checks, so a report names the rule and the offending observation."""

from __future__ import annotations

import re

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, XSD

from ..inputs.datasets import DatasetSpec
from . import uris
from .cube import CubeShape
from .uris import Minter

SH = Namespace("http://www.w3.org/ns/shacl#")
QB = Namespace(uris.QB)


class _ShapeBuilder:
    def __init__(self, graph: Graph, dataset: str):
        self.graph = graph
        self.dataset = dataset
        self.count = 0

    def node_shape(self, message: str, target=(SH.targetSubjectsOf, QB.dataSet)) -> URIRef:
        """A new observation shape (by default targeting every subject of qb:dataSet) for one rule."""
        self.count += 1
        shape = URIRef(f"{self.dataset}/shape/{self.count}")
        self.graph.add((shape, RDF.type, SH.NodeShape))
        self.graph.add((shape, *target))
        self.graph.add((shape, SH.message, Literal(message)))
        return shape

    def prop(self, path, message: str | None = None, **constraints) -> BNode:
        """A property shape; pyshacl reports a property shape's own sh:message, so give it the rule."""
        node = BNode()
        self.graph.add((node, SH.path, URIRef(path) if isinstance(path, str) else path))
        if message:
            self.graph.add((node, SH.message, Literal(message)))
        for name, value in constraints.items():
            if name == "in_":
                self.graph.add((node, SH["in"], self.list_of([URIRef(v) for v in value])))
            else:
                self.graph.add((node, SH[name], value))
        return node

    def list_of(self, items: list) -> BNode:
        head = BNode()
        Collection(self.graph, head, items)
        return head

    def anonymous(self, *properties: BNode) -> BNode:
        node = BNode()
        for item in properties:
            self.graph.add((node, SH.property, item))
        return node

    def negation(self, inner: BNode) -> BNode:
        node = BNode()
        self.graph.add((node, SH["not"], inner))
        return node

    def either(self, shape: URIRef, *alternatives: BNode) -> None:
        self.graph.add((shape, SH["or"], self.list_of(list(alternatives))))


def dataset_shapes(spec: DatasetSpec, shape: CubeShape, minter: Minter) -> Graph:
    graph = Graph()
    build = _ShapeBuilder(graph, shape.dataset)
    concepts = shape.concepts
    component_dim = shape.component_dimension

    dimensions = [uris.REF_AREA, uris.REF_PERIOD, component_dim, uris.QB + "measureType"]
    for dimension in dimensions:
        message = f"IC-11: an observation has exactly one value for {dimension}"
        s = build.node_shape(message)
        graph.add((s, SH.property, build.prop(dimension, message, minCount=Literal(1), maxCount=Literal(1))))

    message = f"IC-19: {component_dim} takes a value of the {shape.component_scheme} code list"
    s = build.node_shape(message)
    graph.add((s, SH.property, build.prop(component_dim, message, in_=[c.uri for c in concepts])))
    message = "IC-19: qb:measureType is a measure of the structure"
    s = build.node_shape(message)
    graph.add((s, SH.property, build.prop(QB.measureType, message, in_=list(shape.measures.values()))))

    area_pattern = "^" + re.escape(uris.GEOGRAPHY) + spec.area_code_pattern.lstrip("^")
    message = f"LI-area-pattern: refArea matches {area_pattern}"
    s = build.node_shape(message)
    graph.add(
        (s, SH.property, build.prop(uris.REF_AREA, message, nodeKind=SH.IRI, pattern=Literal(area_pattern)))
    )

    message = "IC-13: an observation has the required attribute sdmx-attribute:unitMeasure"
    s = build.node_shape(message)
    graph.add((s, SH.property, build.prop(uris.UNIT_MEASURE, message, minCount=Literal(1))))

    withheld = [minter.concept("obs-status", status) for status in ("missing", "suppressed")]
    for notation, measure in shape.measures.items():
        is_this = build.anonymous(build.prop(QB.measureType, hasValue=URIRef(measure)))
        s = build.node_shape(
            f"IC-15: an observation of measure type {notation} has a {notation} value or obsStatus "
            "missing or suppressed"
        )
        build.either(
            s,
            build.negation(is_this),
            build.anonymous(build.prop(measure, minCount=Literal(1))),
            build.anonymous(build.prop(uris.OBS_STATUS, in_=withheld)),
        )
        # IC-16 without sh:or: whatever has a value for this measure must have it as its measure type.
        message = (
            f"IC-16: an observation with a {notation} value has measure type {notation} and no other measure"
        )
        s = build.node_shape(message, target=(SH.targetSubjectsOf, URIRef(measure)))
        graph.add((s, SH.property, build.prop(QB.measureType, message, hasValue=URIRef(measure))))

    ranges = {
        notation: {
            key: Literal(bound)
            for key, bound in (("minInclusive", low), ("maxInclusive", high))
            if bound is not None
        }
        for notation, (low, high) in shape.bounds.items()
    }
    rank_range = dict(minInclusive=Literal(1), maxInclusive=Literal(spec.ranking_universe))
    ranges |= dict.fromkeys(shape.rank_measures, rank_range)
    for notation, measure in shape.measures.items():
        datatype = URIRef(shape.datatypes[notation])
        message = f"LI-range: {notation} is an {datatype.split('#')[-1]}" + _describe(
            ranges.get(notation, {})
        )
        s = build.node_shape(message, target=(SH.targetSubjectsOf, URIRef(measure)))
        bounds = ranges.get(notation, {})
        graph.add(
            (s, SH.property, build.prop(measure, message, datatype=datatype, maxCount=Literal(1), **bounds))
        )
    if "score" in shape.measures:
        for concept in concepts:
            bounds = {}
            if concept.score_minimum is not None:
                bounds["minInclusive"] = Literal(concept.score_minimum, datatype=XSD.decimal)
            if concept.score_maximum is not None:
                bounds["maxInclusive"] = Literal(concept.score_maximum, datatype=XSD.decimal)
            if not bounds:
                continue
            s = build.node_shape(f"LI-range: {concept.notation} score" + _describe(bounds))
            of_concept = build.anonymous(build.prop(component_dim, hasValue=URIRef(concept.uri)))
            build.either(
                s, build.negation(of_concept), build.anonymous(build.prop(shape.measures["score"], **bounds))
            )
    return graph


def _describe(bounds: dict) -> str:
    low, high = bounds.get("minInclusive"), bounds.get("maxInclusive")
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" of at least {low}"
    return ""
