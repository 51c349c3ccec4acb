"""A method as linked data: its framework as a SKOS scheme (index → dimensions → components →
indicators, linked by skos:broader), the dimension property that codes it, and a method resource
carrying every parameter, so that anyone can recompute a score from the published data.

`localindex spi vocab` writes this as vocab/<method id>.ttl with relative IRIs, like every file in
vocab/; a test checks the committed file still says what the method file says.
"""

from __future__ import annotations

import numpy as np
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, QB, RDF, RDFS, SKOS, XSD

from ...rdf.uris import Minter
from .method import INDEX, Method

PLACEHOLDER = "http://localindex.invalid/"


def method_graph(method: Method, base: str) -> Graph:
    minter = Minter(base)
    li = Namespace(minter.ontology(""))
    graph = Graph()
    for prefix, namespace in (("li", li), ("skos", SKOS), ("qb", QB), ("prov", PROV), ("dct", DCTERMS)):
        graph.bind(prefix, namespace)
    add = graph.add
    scheme = URIRef(f"{base}def/concept-scheme/{method.id}")
    dimension_property = URIRef(minter.dimension(method.id))
    plan = URIRef(minter.method(method.notation))

    def concept(notation: str) -> URIRef:
        return URIRef(minter.concept(method.id, notation))

    def text(value: str) -> Literal:
        return Literal(" ".join(value.split()), lang="en")

    add((scheme, RDF.type, SKOS.ConceptScheme))
    for label in (RDFS.label, SKOS.prefLabel):
        add((scheme, label, text(f"{method.index_label}: framework of {method.title}")))
    add((scheme, SKOS.hasTopConcept, concept(INDEX)))
    add((dimension_property, RDF.type, QB.DimensionProperty))
    add((dimension_property, RDF.type, QB.CodedProperty))
    add((dimension_property, RDF.type, RDF.Property))
    add(
        (
            dimension_property,
            RDFS.label,
            text(f"{method.index_label}: index, dimension, component or indicator"),
        )
    )
    add((dimension_property, RDFS.range, SKOS.Concept))
    add((dimension_property, QB.codeList, scheme))

    order = 0

    def add_concept(notation: str, label: str, definition: str, broader: str | None) -> URIRef:
        nonlocal order
        order += 1
        node = concept(notation)
        add((node, RDF.type, SKOS.Concept))
        add((node, SKOS.inScheme, scheme))
        add((node, SKOS.notation, Literal(notation)))
        add((node, SKOS.prefLabel, text(label)))
        add((node, li.order, Literal(order)))
        if definition:
            add((node, SKOS.definition, text(definition)))
        if broader is None:
            add((node, SKOS.topConceptOf, scheme))
        else:
            add((node, SKOS.broader, concept(broader)))
            add((concept(broader), SKOS.narrower, node))
        return node

    add_concept(INDEX, method.index_label, method.description, None)
    for dimension in method.dimensions:
        add_concept(dimension.id, dimension.label, dimension.definition, INDEX)
    for component in method.scored_components:
        add_concept(component.id, component.label, component.definition, component.dimension)
    for indicator in method.indicators:
        node = add_concept(indicator.id, indicator.label, indicator.definition, indicator.component)
        add((node, li.scoreUnit, URIRef(minter.concept("unit", indicator.unit))))

    add((plan, RDF.type, PROV.Plan))
    add((plan, RDFS.label, text(f"{method.title} (method version {method.version})")))
    add((plan, DCTERMS.description, text(method.description)))
    add((plan, li.methodVersion, Literal(method.version)))
    if method.notes:
        add((plan, SKOS.note, text(method.notes)))
    add((plan, li.framework, scheme))
    add((plan, li.minimumCoverage, _decimal(method.minimum_coverage)))
    add((plan, li.imputation, Literal(method.imputation)))
    for level, rule in (
        ("component", method.component_aggregation),
        ("dimension", method.dimension_aggregation),
        ("index", method.index_aggregation),
    ):
        add((plan, li.aggregation, Literal(f"{level}: {rule.describe()}")))
    add((plan, li.progressThreshold, _decimal(method.progress_threshold)))
    for rating, colour in sorted(method.progress_colours.items()):
        node = URIRef(f"{plan}#rating-{rating}")
        add((plan, li.progressRating, node))
        add((node, RDF.type, li.RatingStyle))
        add((node, SKOS.exactMatch, URIRef(minter.concept("progress-rating", rating))))
        add((node, li.ratingColour, Literal(colour)))
    for component in method.components:
        node = URIRef(f"{plan}#component-{component.id}")
        add((plan, li.componentRule, node))
        add((node, RDF.type, li.ComponentRule))
        add((node, li.component, concept(component.id)))
        add((node, RDFS.label, text(component.label)))
        if component.omitted:
            add((node, li.omitted, text(component.omitted)))
        else:
            add((node, li.weighting, Literal(component.weights)))
        if component.minimum_coverage is not None:
            add((node, li.minimumCoverage, _decimal(component.minimum_coverage)))
    for indicator in method.indicators:
        node = URIRef(f"{plan}#{indicator.id}")
        add((plan, li.indicatorParameters, node))
        add((node, RDF.type, li.IndicatorParameters))
        add((node, li.indicator, concept(indicator.id)))
        add((node, li.component, concept(indicator.component)))
        add((node, li.utopia, _decimal(indicator.utopia)))
        add((node, li.dystopia, _decimal(indicator.dystopia)))
        add((node, li.transform, Literal(indicator.transform)))
        add((node, li.higherIsBetter, Literal(indicator.higher_is_better)))
        for term, value in (
            (li.weight, indicator.weight),
            (li.capLow, indicator.cap_low),
            (li.capHigh, indicator.cap_high),
        ):
            if value is not None:
                add((node, term, _decimal(value)))
        for term, value in ((li.goalposts, indicator.goalposts), (li.rationale, indicator.rationale)):
            if value:
                add((node, term, text(value)))
        if indicator.source:
            add((node, li.sourceColumn, Literal(f"{indicator.source['file']}#{indicator.source['column']}")))
            add((node, li.populationWeight, Literal(indicator.source.get("population", "total"))))
    return graph


def method_turtle(method: Method) -> str:
    """The method graph as Turtle with IRIs relative to the base, as vocab/ files are written."""
    text = method_graph(method, PLACEHOLDER).serialize(format="turtle")
    header = (
        f"# Generated by `localindex spi vocab` from the method file of {method.notation}; do not edit.\n"
    )
    return header + text.replace(f"<{PLACEHOLDER}", "<")


def _decimal(value: float) -> Literal:
    return Literal(np.format_float_positional(float(value), trim="-"), datatype=XSD.decimal)
