"""A submitted dataset (localindex ingest): the publisher's checked, suppressed values as they were
submitted, with its indicators as its own concept scheme. Social Progress components the submission
declares but does not score are scored with the SPI method's component rule."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from ...inputs.datasets import DatasetSpec
from ...inputs.geography import Geography
from ...paths import DATA_DIR
from ...rdf import uris
from ...rdf.uris import Minter
from ...rdf.vocab import scheme_concepts
from .. import tidy
from ..spi.method import Aggregation
from .table import BuiltTable

QB = Namespace(uris.QB)
SPI_FRAMEWORK = "spi-london"  # the concept scheme whose components are the SPI framework's twelve
CELLS = {"numerator": "numerator", "denominator": "denominator"}
METHOD = "submitted-values"


def build(spec: DatasetSpec, minter: Minter, only_areas: set[str] | None = None) -> BuiltTable:
    about = json.loads(spec.input_path(spec.inputs["submission"]).read_text(encoding="utf-8"))
    indicators = pd.read_csv(spec.input_path(spec.inputs["indicators"]), dtype=str, keep_default_na=False)
    values = pd.read_csv(
        spec.input_path(spec.inputs["observations"]),
        dtype={"area": str, "period": str, "indicator": str},
        keep_default_na=False,
        na_values={c: [""] for c in ("value", "numerator", "denominator")},
    )
    if only_areas is not None:
        values = values[values["area"].isin(only_areas)]
    indicators, values, computed = score_spi_components(indicators, values, minter)
    unit_of = dict(zip(indicators["indicator_id"], indicators["unit"], strict=True))
    measure_of = {
        i: ("count" if u in {"persons", "households", "count"} else "indicator-value")
        for i, u in unit_of.items()
    }
    frames = []
    for measure in spec.measures:
        frame = values[["area", "period", "indicator"]].rename(columns={"indicator": "component"})
        frame["measure"] = measure
        if measure in CELLS:
            frame["value"] = values[measure].to_numpy()
            frame["unit"] = "count"
            frame["status"] = np.where(values[f"{measure}_status"].eq("suppressed"), "suppressed", "")
        else:
            own = values["indicator"].map(measure_of).eq(measure).to_numpy()
            frame["value"] = np.where(own, values["value"].to_numpy(), np.nan)
            frame["unit"] = np.where(own, values["indicator"].map(unit_of), "count")
            frame["status"] = np.where(own, values["value_status"], "")
        frame.loc[frame["value"].isna() & frame["status"].eq(""), "status"] = "missing"
        frames.append(frame)
    table = tidy.concat(frames)
    geography = Geography.load(DATA_DIR)
    areas = geography.describe(spec.geography_level, sorted(values["area"].unique()))
    vocabulary = submission_vocabulary(spec, indicators, minter, about["publisher"]["uri"], computed)
    checks = [
        f"{len(values):,} submitted values of {len(indicators) - len(computed)} indicators for "
        f"{len(areas):,} {spec.geography_level} areas from {about['publisher']['name']}",
        "suppression (threshold {threshold}): {primary} primary, {complement} complement, {rate} rate, "
        "{area-total} area-total cells withheld".format(threshold=about["threshold"], **about["suppressed"]),
    ]
    if computed:
        checks.append(f"SPI component score(s) computed by localindex: {', '.join(computed)}")

    def describe(metadata: Graph, dataset: URIRef, minter: Minter) -> None:
        li = Namespace(minter.ontology(""))
        metadata += vocabulary
        metadata.add((dataset, li.suppressionThreshold, Literal(about["threshold"], datatype=XSD.integer)))
        metadata.add((dataset, li.inputFormat, URIRef(f"{minter.defs}def/input-format/")))

    return BuiltTable(
        table,
        areas,
        component_dimension=spec.series,
        method=METHOD,
        checks=checks,
        describe=describe,
        vocabulary=vocabulary,
    )


def score_spi_components(
    indicators: pd.DataFrame, values: pd.DataFrame, minter: Minter
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Add a score for each declared SPI component the submission does not score itself: the
    equal-weight arithmetic mean of its indicators' 0-100 scores (an area lacking one lacks it)."""
    framework = {c.notation: c for c in scheme_concepts(minter.defs, SPI_FRAMEWORK)}
    computed = []
    for component in sorted(set(indicators["spi_component"]) - {""} - set(indicators["indicator_id"])):
        members = indicators[indicators["spi_component"].eq(component)]
        if not members["unit"].eq("spi-score").all():
            continue  # raw values need goalposts to be scored; the catalogue has none
        wide = values[values["indicator"].isin(members["indicator_id"])].pivot_table(
            index=["area", "period"], columns="indicator", values="value", aggfunc="first", dropna=False
        )
        wide = wide.reindex(columns=members["indicator_id"])
        present = wide.notna().all(axis=1).to_numpy()
        weights = np.full(wide.shape[1], 1.0 / wide.shape[1])
        score = np.where(present, Aggregation()(wide.to_numpy(), weights), np.nan)
        rows = wide.index.to_frame(index=False).assign(
            indicator=component,
            value=np.round(score, 6),
            numerator=np.nan,
            denominator=np.nan,
            value_status=np.where(present, "", "missing"),
            numerator_status="",
            denominator_status="",
        )
        values = pd.concat([values, rows], ignore_index=True)
        label = framework[component].label
        row = {
            "indicator_id": component,
            "label": label,
            "unit": "spi-score",
            "polarity": "higher-is-better",
            "description": f"{label}: Social Progress component score computed by localindex as the "
            f"equal-weight mean of {', '.join(members['label'])}.",
            "source": "computed by localindex",
            "licence": members["licence"].iloc[0],
            "spi_component": component,
        }
        indicators = pd.concat([indicators, pd.DataFrame([row])], ignore_index=True).fillna("")
        computed.append(component)
    return indicators, values, computed


def submission_vocabulary(
    spec: DatasetSpec, indicators: pd.DataFrame, minter: Minter, publisher: str, computed: list[str]
) -> Graph:
    """The submission's own dimension and concept scheme: its indicators, each with unit, polarity,
    source, licence and place in the Social Progress framework."""
    graph = Graph()
    li = Namespace(minter.ontology(""))
    dimension = URIRef(minter.dimension(spec.series))
    scheme = URIRef(f"{minter.defs}def/concept-scheme/{spec.series}")
    for kind in (QB.DimensionProperty, QB.CodedProperty, RDF.Property):
        graph.add((dimension, RDF.type, kind))
    graph.add((dimension, RDFS.label, Literal(f"indicator of {spec.series_title}", lang="en")))
    graph.add((dimension, QB.codeList, scheme))
    graph.add((dimension, RDFS.range, SKOS.Concept))
    graph.add((scheme, RDF.type, SKOS.ConceptScheme))
    graph.add((scheme, RDFS.label, Literal(f"Indicators of {spec.series_title}", lang="en")))
    graph.add((scheme, DCTERMS.publisher, URIRef(publisher)))
    ids = set(indicators["indicator_id"])
    for order, row in enumerate(indicators.itertuples(index=False), start=1):
        concept = URIRef(minter.concept(spec.series, row.indicator_id))
        add = graph.add
        add((concept, RDF.type, SKOS.Concept))
        add((concept, SKOS.inScheme, scheme))
        add((concept, SKOS.notation, Literal(row.indicator_id)))
        add((concept, SKOS.prefLabel, Literal(row.label, lang="en")))
        add((concept, SKOS.definition, Literal(row.description, lang="en")))
        add((concept, li.order, Literal(order, datatype=XSD.integer)))
        add((concept, URIRef(uris.UNIT_MEASURE), URIRef(minter.concept("unit", row.unit))))
        add((concept, li.polarity, URIRef(minter.concept("polarity", row.polarity))))
        add((concept, DCTERMS.source, Literal(row.source, lang="en")))
        add((concept, DCTERMS.license, URIRef(row.licence)))
        if row.indicator_id in computed:
            add((concept, li.method, URIRef(minter.method(METHOD))))
        if row.spi_component:
            add((concept, li.spiComponent, URIRef(minter.concept(SPI_FRAMEWORK, row.spi_component))))
            if row.spi_component in ids and row.spi_component != row.indicator_id:
                add((concept, SKOS.broader, URIRef(minter.concept(spec.series, row.spi_component))))
    return graph
