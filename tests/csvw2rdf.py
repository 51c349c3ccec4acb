"""A small, independent CSV → RDF converter following W3C "Generating RDF from Tabular Data on the
Web" (standard mode) for the features localindex's metadata uses: cell-level aboutUrl, propertyUrl
and valueUrl templates, virtual columns, suppressOutput, typed literals. The csvw package parses the
metadata and the cells (with datatype checking); this module only applies the triple-generation
rules. Bookkeeping triples (csvw:TableGroup/Table/Row, csvw:describes, rownum, url) are not
generated, i.e. they are removed as the tests require.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import csvw
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

DATATYPES = {"decimal": XSD.decimal, "integer": XSD.integer, "string": None}


def csvw_to_rdf(metadata: Path, keep_row: Callable[[dict], bool] = lambda row: True) -> Graph:
    graph = Graph()
    group = csvw.TableGroup.from_file(metadata)
    for table in group.tables:
        columns = table.tableSchema.columns
        for row in table.iterdicts(strict=True):
            if not keep_row(row):
                continue
            default_subject = BNode()
            for column in columns:
                if column.suppressOutput:
                    continue
                value = row.get(column.name)
                subject = URIRef(column.aboutUrl.expand(row)) if column.aboutUrl else default_subject
                predicate = URIRef(column.propertyUrl.expand(row))
                if column.valueUrl is not None:
                    graph.add((subject, predicate, URIRef(column.valueUrl.expand(row))))
                elif value is not None:
                    graph.add((subject, predicate, _literal(value, column)))
    return graph


def _literal(value, column) -> Literal:
    base = column.datatype.base if column.datatype else "string"
    datatype = DATATYPES[base]
    lexical = format(value, "f") if isinstance(value, Decimal) else str(value)
    return Literal(lexical, datatype=datatype)
