"""Tidy table → RDF Data Cube: streaming N-Triples for observations, rdflib for the small metadata.

Observation IRIs and values are minted here from codes and numbers only, so the writer can use
plain string formatting (DESIGN.md §6: 1-2 M triples/s, constant memory).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyoxigraph as ox
from rdflib import RDFS, Graph, URIRef

from . import uris
from .datasets import DatasetSpec
from .uris import Minter
from .vocab import Concept, scheme_concepts, vocabulary_graph
from .vocab import measures as vocabulary_measures

XSD_INTEGER = uris.XSD + "integer"
QB_CODE_LIST = URIRef(uris.QB + "codeList")
XSD_DECIMAL = uris.XSD + "decimal"


@dataclass(frozen=True)
class CubeShape:
    """What the structure definition says, resolved to IRIs: the writer and the checks share it."""

    dataset: str
    structure: str
    obs_prefix: str
    area_list: str
    revision: int
    component_dimension: str
    component_scheme: str
    measures: dict[str, str]  # notation → measure property IRI
    datatypes: dict[str, str]  # notation → xsd datatype IRI
    rank_measures: frozenset[str]  # notations of the measures that are ranks (li:rankOf), 1..universe
    bounds: dict[str, tuple[float | None, float | None]]  # notation → (li:minimumValue, li:maximumValue)
    concepts: tuple[Concept, ...]  # of the component scheme, in display order

    @classmethod
    def of(
        cls,
        spec: DatasetSpec,
        minter: Minter,
        component_dimension: str,
        revision: int = 1,
        vocabulary: Graph | None = None,
    ):
        """``vocabulary``: terms the release defines itself (a submission's dimension and indicators)."""
        graph = vocabulary_graph(minter.defs)
        if vocabulary is not None:
            graph = graph + vocabulary
        code_list = graph.value(URIRef(minter.dimension(component_dimension)), QB_CODE_LIST)
        if code_list is None:
            raise LookupError(f"dimension {component_dimension!r} has no qb:codeList in vocab/")
        measures = {m: minter.measure(m) for m in spec.measures}
        datatypes = {}
        described = vocabulary_measures(minter.defs)
        ranks = frozenset(m for m in measures if m in described and described[m].rank_of)
        for notation, iri in measures.items():
            found = graph.value(URIRef(iri), RDFS.range)
            if found is None:
                raise LookupError(f"measure {iri} has no rdfs:range in vocab/")
            datatypes[notation] = str(found)
        scheme = str(code_list).rsplit("/", 1)[-1]
        return cls(
            dataset=minter.dataset(spec.series, spec.edition, revision),
            structure=minter.structure(spec.series, spec.edition, revision),
            obs_prefix=minter.observation_prefix(spec.series, spec.edition, revision),
            area_list=minter.area_list(spec.series, spec.edition, revision),
            revision=revision,
            component_dimension=minter.dimension(component_dimension),
            component_scheme=scheme,
            measures=measures,
            datatypes=datatypes,
            rank_measures=ranks,
            bounds={
                m: (described[m].minimum, described[m].maximum)
                for m in measures
                if m in described and (described[m].minimum, described[m].maximum) != (None, None)
            },
            concepts=tuple(scheme_concepts(minter.defs, scheme, vocabulary)),
        )

    def component_spec(self, name: str) -> str:
        return f"{self.dataset}/component/{name}"

    def observation(self, area: str, period: str, component: str, measure: str) -> str:
        return f"{self.obs_prefix}{area}/{period}/{component}/{measure}"


def lexical_values(table: pd.DataFrame, shape: CubeShape) -> pd.Series:
    """Canonical lexical form of each value ('' when missing): integers without '.0', no exponents."""
    out = pd.Series("", index=table.index, dtype=object)
    present = table["value"].notna()
    for measure, datatype in shape.datatypes.items():
        mask = present & (table["measure"] == measure)
        values = table.loc[mask, "value"].to_numpy()
        if datatype == XSD_INTEGER:
            out[mask] = values.astype(np.int64).astype(str)
        else:
            out[mask] = [np.format_float_positional(v, trim="-") for v in values]
    return out


def observation_ntriples(table: pd.DataFrame, shape: CubeShape, minter: Minter) -> Iterator[str]:
    """Yield the N-Triples of each observation (one string per observation)."""
    lexical = lexical_values(table, shape)
    concept = {c: f"<{minter.concept(shape.component_scheme, c)}>" for c in table["component"].unique()}
    unit = {u: f"<{minter.concept('unit', u)}>" for u in table["unit"].unique()}
    status = {s: f"<{minter.concept('obs-status', s)}>" for s in table["status"].unique() if s}
    period = {p: f"<{uris.period(p)}>" for p in table["period"].unique()}
    measure = {m: f"<{iri}>" for m, iri in shape.measures.items()}
    typed = {m: f"^^<{dt}>" for m, dt in shape.datatypes.items()}
    rdf_type, observation = f"<{uris.RDF_TYPE}>", f"<{uris.QB}Observation>"
    data_set, dataset = f"<{uris.QB}dataSet>", f"<{shape.dataset}>"
    dim, qb_measure_type = f"<{shape.component_dimension}>", f"<{uris.QB}measureType>"
    for area, per, comp, meas, value, unit_code, status_code in zip(
        table["area"],
        table["period"],
        table["component"],
        table["measure"],
        lexical,
        table["unit"],
        table["status"],
        strict=True,
    ):
        s = f"<{shape.observation(area, per, comp, meas)}>"
        lines = (
            f"{s} {rdf_type} {observation} .\n"
            f"{s} {data_set} {dataset} .\n"
            f"{s} <{uris.REF_AREA}> <{uris.GEOGRAPHY}{area}> .\n"
            f"{s} <{uris.REF_PERIOD}> {period[per]} .\n"
            f"{s} {dim} {concept[comp]} .\n"
            f"{s} {qb_measure_type} {measure[meas]} .\n"
            f"{s} <{uris.UNIT_MEASURE}> {unit[unit_code]} .\n"
        )
        if value:
            lines += f'{s} {measure[meas]} "{value}"{typed[meas]} .\n'
        if status_code:
            lines += f"{s} <{uris.OBS_STATUS}> {status[status_code]} .\n"
        yield lines


def area_triples(areas: pd.DataFrame, area_list: str, with_facts: bool) -> Iterator[ox.Triple]:
    """The dataset's area code list: a skos:Collection of ONS areas, and (``with_facts``) each area's
    label, notation, ONS statistical entity and parent. Only one dataset per geography states the
    facts, so that they are not repeated across named graphs."""
    skos = "http://www.w3.org/2004/02/skos/core#"
    member, notation = ox.NamedNode(skos + "member"), ox.NamedNode(skos + "notation")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    entity_code = ox.NamedNode(uris.STATISTICAL_ENTITY_CODE)
    within = ox.NamedNode("http://publishmydata.com/def/ontology/foi/within")
    collection = ox.NamedNode(area_list)
    yield ox.Triple(collection, ox.NamedNode(uris.RDF_TYPE), ox.NamedNode(skos + "Collection"))
    for code, name, parent in zip(areas["code"], areas["name"], areas["parent"], strict=True):
        area = ox.NamedNode(uris.area(code))
        yield ox.Triple(collection, member, area)
        if not with_facts:
            continue
        yield ox.Triple(area, notation, ox.Literal(code))
        yield ox.Triple(area, entity_code, ox.NamedNode(uris.statistical_entity(code)))
        if name:
            yield ox.Triple(area, label, ox.Literal(name, language="en"))
        if parent:
            yield ox.Triple(area, within, ox.NamedNode(uris.area(parent)))


def write_release_ntriples(
    path: Path, areas: Iterable[ox.Triple], observations: Iterable[str], metadata: Callable[[], bytes]
) -> int:
    """Write area list, observations and then metadata as one gzipped N-Triples file; return the line
    count. ``metadata`` is called last, so that it can record when the build finished."""
    count = 0
    with gzip.open(path, "wb", compresslevel=1) as handle:
        area_bytes = ox.serialize(areas, format=ox.RdfFormat.N_TRIPLES)
        handle.write(area_bytes)
        count += area_bytes.count(b"\n")
        buffer: list[str] = []
        for chunk in observations:
            buffer.append(chunk)
            if len(buffer) >= 20_000:
                text = "".join(buffer)
                count += text.count("\n")
                handle.write(text.encode("ascii"))
                buffer.clear()
        text = "".join(buffer)
        count += text.count("\n")
        handle.write(text.encode("ascii"))
        metadata_nt = metadata()
        handle.write(metadata_nt)
        count += metadata_nt.count(b"\n")
    return count
