"""Tidy table → RDF Data Cube: streaming N-Triples for observations, rdflib for the small metadata.

Observation IRIs and values are minted here from codes and numbers only, so the writer can use
plain string formatting (DESIGN.md §6: 1-2 M triples/s, constant memory).
"""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyoxigraph as ox
from rdflib import RDFS, Graph, URIRef

from ..inputs.datasets import DatasetSpec
from . import uris
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
    # What the vocabulary calls the measures and the component dimension, for people (download headers)
    measure_labels: dict[str, str]  # notation → rdfs:label
    measure_comments: dict[str, str]  # notation → rdfs:comment ('' where there is none)
    component_label: str

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

        def text(subject: str, predicate: URIRef, default: str) -> str:
            found = graph.value(URIRef(subject), predicate)
            return default if found is None else str(found)

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
            measure_labels={m: text(iri, RDFS.label, m) for m, iri in measures.items()},
            measure_comments={m: text(iri, RDFS.comment, "") for m, iri in measures.items()},
            component_label=text(minter.dimension(component_dimension), RDFS.label, component_dimension),
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


CHUNK_ROWS = 20_000  # imd-lsoa/2019 written in 7.7 s at 0.4 GB over its table; 200,000: 11.6 s, 1.8 GB


def observation_ntriples(table: pd.DataFrame, shape: CubeShape, minter: Minter) -> Iterator[bytes]:
    """The N-Triples of every observation, in chunks of ``CHUNK_ROWS`` observations, each observation's
    triples together; built column-wise (polars), since every term is minted from codes and numbers."""
    lexical = lexical_values(table, shape)
    frame = pl.DataFrame(
        {
            c: table[c].astype(str).to_numpy()
            for c in ("area", "period", "component", "measure", "unit", "status")
        }
    ).with_columns(pl.Series("value", lexical.to_numpy(), dtype=pl.String))
    iri = {
        "period": {p: f"<{uris.period(p)}>" for p in frame["period"].unique()},
        "component": {
            c: f"<{minter.concept(shape.component_scheme, c)}>" for c in frame["component"].unique()
        },
        "unit": {u: f"<{minter.concept('unit', u)}>" for u in frame["unit"].unique()},
        "status": {s: f"<{minter.concept('obs-status', s)}>" for s in frame["status"].unique() if s},
        "measure": {m: f"<{i}>" for m, i in shape.measures.items()},
    }
    typed = {m: f"^^<{dt}>" for m, dt in shape.datatypes.items()}

    def term(column: str) -> pl.Expr:
        return pl.col(column).replace_strict(iri[column], default=None)

    s = pl.concat_str(
        pl.lit(f"<{shape.obs_prefix}"), *_slashed("area", "period", "component", "measure"), pl.lit(">")
    )
    fixed = [
        (f"<{uris.RDF_TYPE}>", pl.lit(f"<{uris.QB}Observation>")),
        (f"<{uris.QB}dataSet>", pl.lit(f"<{shape.dataset}>")),
        (f"<{uris.REF_AREA}>", pl.concat_str(pl.lit(f"<{uris.GEOGRAPHY}"), "area", pl.lit(">"))),
        (f"<{uris.REF_PERIOD}>", term("period")),
        (f"<{shape.component_dimension}>", term("component")),
        (f"<{uris.QB}measureType>", term("measure")),
        (f"<{uris.UNIT_MEASURE}>", term("unit")),
    ]
    parts: list[pl.Expr] = []
    for predicate, obj in fixed:
        parts += [s, pl.lit(f" {predicate} "), obj, pl.lit(" .\n")]
    value = pl.concat_str(
        s,
        pl.lit(" "),
        term("measure"),
        pl.lit(' "'),
        "value",
        pl.lit('"'),
        pl.col("measure").replace_strict(typed, default=None),
        pl.lit(" .\n"),
    )
    status = pl.concat_str(s, pl.lit(f" <{uris.OBS_STATUS}> "), term("status"), pl.lit(" .\n"))
    parts += [
        pl.when(pl.col("value") != "").then(value).otherwise(pl.lit("")),
        pl.when(pl.col("status") != "").then(status).otherwise(pl.lit("")),
    ]
    block = pl.concat_str(parts)
    for start in range(0, frame.height, CHUNK_ROWS):
        yield frame.slice(start, CHUNK_ROWS).select(block.str.join("")).item().encode("ascii")


def _slashed(*columns: str) -> list[pl.Expr]:
    parts: list[pl.Expr] = []
    for column in columns:
        parts += [pl.lit("/"), pl.col(column)] if parts else [pl.col(column)]
    return parts


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
    path: Path, areas: Iterable[ox.Triple], observations: Iterable[bytes], metadata: Callable[[], bytes]
) -> int:
    """Write area list, observations and then metadata as one N-Triples file; return the line count.
    ``metadata`` is called last, so that it can record when the build finished."""
    count = 0
    with path.open("wb") as handle:

        def write(chunk: bytes) -> None:
            nonlocal count
            handle.write(chunk)
            count += chunk.count(b"\n")

        write(ox.serialize(areas, format=ox.RdfFormat.N_TRIPLES))
        for chunk in observations:
            write(chunk)
        write(metadata())
    return count


def compress(path: Path) -> Path:
    """``path``.gz beside it (the published download and the store's load format)."""
    target = path.with_name(path.name + ".gz")
    with path.open("rb") as source, gzip.open(target, "wb", compresslevel=1) as handle:
        shutil.copyfileobj(source, handle, 1 << 22)
    return target
