"""Tidy table → CSV on the Web: a wide CSV (one row per area × period × component, one column per
measure) plus a W3C metadata file whose URI templates generate exactly the published observations.

No IRI-valued column ever holds an empty cell (processors differ on whether a valueUrl applies to
a null cell), so observation statuses live in a second table of the group, one row per status.

Headers are for people ("Area code", "Rank of average score"): each column's ``titles``; its
``name`` is the machine name the templates use. A CSVW processor matches columns by position, so the
header only has to equal the titles. Beside each area code is the area's name, a column with
``suppressOutput``: the name is read by people, not turned into triples, so the CSVW still generates
exactly the release's observation triples (an area's label, where a release states it, is one triple
of the area list, not one per row).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..inputs.datasets import DatasetSpec
from . import uris
from .cube import CubeShape, lexical_values
from .uris import Minter

DIMENSION_COLUMNS = ["area", "period", "component"]
AREA_NAME = "area_name"
CSVW_CONTEXT = "http://www.w3.org/ns/csvw"


@dataclass(frozen=True)
class CsvwTable:
    """One CSV of the release as written: its rows (lexical cells, columns by machine name) and the
    metadata's description of it (the other download formats are made from the same two)."""

    path: Path
    frame: pd.DataFrame
    schema: dict  # the table's entry in the metadata's "tables"

    @property
    def physical_columns(self) -> list[dict]:
        """The columns the file holds, in order (not the virtual ones)."""
        return [c for c in self.schema["tableSchema"]["columns"] if not c.get("virtual")]


@dataclass(frozen=True)
class CsvwFiles:
    tables: list[CsvwTable]  # the observations, then (if any) the statuses
    metadata: Path

    @property
    def paths(self) -> list[Path]:
        return [*(t.path for t in self.tables), self.metadata]


def write_csvw(
    table: pd.DataFrame,
    names: pd.Series,
    spec: DatasetSpec,
    shape: CubeShape,
    minter: Minter,
    directory: Path,
    stem: str,
) -> CsvwFiles:
    """Write the CSV file(s) and their metadata; ``names`` is each area's name, indexed by code."""
    lexical = table.assign(value=lexical_values(table, shape))
    units = lexical.groupby("measure", observed=True)["unit"].nunique()
    varying_units = [m for m in spec.measures if units.get(m, 0) > 1]

    main_csv = directory / f"{stem}.csv"
    main = _main_table(main_csv.name, spec, shape, minter, lexical, varying_units)
    tables = [_written(main_csv, _named(_wide(lexical, spec.measures, varying_units), names), main)]
    statuses = lexical.loc[lexical["status"] != "", ["area", "period", "component", "measure", "status"]]
    if len(statuses):
        status_csv = directory / f"{stem}-status.csv"
        schema = _status_table(status_csv.name, main_csv.name, spec, shape, minter)
        tables.append(_written(status_csv, _named(statuses.astype(str), names), schema))

    metadata = {
        "@context": [CSVW_CONTEXT, {"@language": "en"}],
        "@id": f"{shape.dataset}/csvw",
        "dc:title": spec.title,
        "dc:description": " ".join(spec.description.split()),
        "dc:license": {"@id": spec.licence_uri},
        "dc:source": {"@id": shape.dataset},
        "tables": [t.schema for t in tables],
    }
    metadata_path = directory / f"{stem}.csv-metadata.json"
    metadata_path.write_text(json.dumps(metadata, indent=2) + "\n")
    return CsvwFiles(tables, metadata_path)


def _named(frame: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """``frame`` with each area's name beside its code (one vectorised lookup, not one per row)."""
    return frame.assign(**{AREA_NAME: frame["area"].map(names).fillna("")})


def _written(path: Path, frame: pd.DataFrame, schema: dict) -> CsvwTable:
    """Write ``frame`` with the titles of the schema's columns as its header, in the schema's order."""
    written = CsvwTable(path, frame, schema)
    columns = written.physical_columns
    frame = frame[[c["name"] for c in columns]]
    frame.to_csv(path, index=False, header=[c["titles"] for c in columns])
    return CsvwTable(path, frame, schema)


def measure_columns(measures: list[str], varying_units: list[str]) -> list[str]:
    """The CSV's columns after the dimensions, in the order the metadata lists them: each measure,
    followed by its unit where the unit varies (CSVW readers match columns by position)."""
    return [c for m in measures for c in ([m, f"{m}_unit"] if m in varying_units else [m])]


def _wide(lexical: pd.DataFrame, measures: list[str], varying_units: list[str]) -> pd.DataFrame:
    keys = lexical[DIMENSION_COLUMNS].astype(str)
    frame = keys.assign(measure=lexical["measure"].astype(str), value=lexical["value"], unit=lexical["unit"])
    values = frame.pivot(index=DIMENSION_COLUMNS, columns="measure", values="value")[measures]
    for measure in varying_units:
        unit = frame[frame["measure"] == measure].set_index(DIMENSION_COLUMNS)["unit"].astype(str)
        values[f"{measure}_unit"] = unit
    order = {c: i for i, c in enumerate(pd.unique(lexical["component"].astype(str)))}
    wide = values.reset_index()
    wide["_order"] = wide["component"].map(order)
    wide = wide.sort_values(["area", "period", "_order"])
    return wide[[*DIMENSION_COLUMNS, *measure_columns(measures, varying_units)]]


def _observation_template(shape: CubeShape, measure: str) -> str:
    return f"{shape.obs_prefix}{{area}}/{{period}}/{{component}}/{measure}"


def _key_columns(spec: DatasetSpec, shape: CubeShape, minter: Minter) -> list[dict]:
    """The area code, its name, the period and the component: the columns that say what a row is about."""
    key = {"required": True, "suppressOutput": True}
    return [
        {
            "name": "area",
            "titles": "Area code",
            **key,
            "datatype": {"base": "string", "format": spec.area_code_pattern},
            "dc:description": f"GSS code of the area ({spec.geography_vintage}); its URI is {uris.GEOGRAPHY}"
            "{code}",
        },
        {
            "name": AREA_NAME,
            "titles": "Area name",
            "suppressOutput": True,
            "datatype": "string",
            "dc:description": f"Name of the area in the ONS lookups of {spec.geography_vintage}, for "
            "reading; not part of the observations",
        },
        {
            "name": "period",
            "titles": "Period",
            **key,
            "datatype": "string",
            "dc:description": "Reference period (calendar year)",
        },
        {
            "name": "component",
            "titles": _title(shape.component_label),
            **key,
            "datatype": "string",
            "dc:description": f"{_title(shape.component_label)}: a notation of the concept scheme "
            f"{minter.concept_scheme(shape.component_scheme)}",
        },
    ]


def _title(label: str) -> str:
    """A vocabulary label as a header: 'rank of extent' → 'Rank of extent'."""
    return label[:1].upper() + label[1:]


def _main_table(url, spec, shape: CubeShape, minter: Minter, lexical, varying_units) -> dict:
    periods = set(lexical["period"].astype(str))
    if any(len(p) != 4 for p in periods):
        raise ValueError(f"{spec.name}: CSVW output supports calendar-year periods only, got {periods}")
    columns = _key_columns(spec, shape, minter)
    virtual = []
    for measure, iri in shape.measures.items():
        about = _observation_template(shape, measure)
        datatype = shape.datatypes[measure].rsplit("#", 1)[-1]
        label = shape.measure_labels[measure]
        meaning = shape.measure_comments[measure] or _title(label)
        if measure not in varying_units:
            unit = lexical.loc[lexical["measure"] == measure, "unit"].iloc[0]
            meaning += f" Unit: {unit}."
        columns.append(
            {
                "name": measure,
                "titles": _title(label),
                "datatype": datatype,
                "aboutUrl": about,
                "propertyUrl": iri,
                "dc:description": meaning,
            }
        )
        if measure in varying_units:
            columns.append(
                {
                    "name": f"{measure}_unit",
                    "titles": f"Unit of {label}",
                    "dc:description": f"Unit of {label}: a notation of {minter.concept('unit', '')}",
                    "required": True,
                    "aboutUrl": about,
                    "propertyUrl": uris.UNIT_MEASURE,
                    "valueUrl": minter.concept("unit", f"{{{measure}_unit}}"),
                }
            )
        else:
            virtual.append((about, uris.UNIT_MEASURE, minter.concept("unit", unit)))
        virtual += [
            (about, uris.RDF_TYPE, uris.QB + "Observation"),
            (about, uris.QB + "dataSet", shape.dataset),
            (about, uris.REF_AREA, uris.GEOGRAPHY + "{area}"),
            (about, uris.REF_PERIOD, uris.YEAR + "{period}"),
            (about, shape.component_dimension, minter.concept(shape.component_scheme, "{component}")),
            (about, uris.QB + "measureType", iri),
        ]
    columns += [
        {"name": f"v{i}", "virtual": True, "aboutUrl": about, "propertyUrl": prop, "valueUrl": value}
        for i, (about, prop, value) in enumerate(virtual, start=1)
    ]
    return {
        "url": url,
        "dc:title": f"{spec.title}: observations",
        "tableSchema": {"columns": columns, "primaryKey": DIMENSION_COLUMNS},
    }


def _status_table(url: str, main_url: str, spec: DatasetSpec, shape: CubeShape, minter: Minter) -> dict:
    about = f"{shape.obs_prefix}{{area}}/{{period}}/{{component}}/{{measure}}"
    columns = _key_columns(spec, shape, minter)
    columns.append(
        {
            "name": "measure",
            "titles": "Measure",
            "required": True,
            "suppressOutput": True,
            "datatype": "string",
            "dc:description": "The measure (a column of the observations table) whose value has this status",
        }
    )
    columns.append(
        {
            "name": "status",
            "titles": "Observation status",
            "dc:description": "Why the value is not a normal one: a notation of "
            + minter.concept("obs-status", ""),
            "required": True,
            "aboutUrl": about,
            "propertyUrl": uris.OBS_STATUS,
            "valueUrl": minter.concept("obs-status", "{status}"),
        }
    )
    return {
        "url": url,
        "dc:title": "Observations that are not normal values (missing, suppressed, imputed, provisional)",
        "tableSchema": {
            "columns": columns,
            "primaryKey": [*DIMENSION_COLUMNS, "measure"],
            "foreignKeys": [
                {
                    "columnReference": DIMENSION_COLUMNS,
                    "reference": {"resource": main_url, "columnReference": DIMENSION_COLUMNS},
                }
            ],
        },
    }


def read_csvw_table(metadata_path: Path) -> pd.DataFrame:
    """Read a release's CSVW back into the tidy table (the inverse of write_csvw), columns by position
    as a CSVW processor reads them (headers are for people)."""
    metadata = json.loads(metadata_path.read_text())
    main, *rest = metadata["tables"]
    wide = _read_by_position(metadata_path.parent, main)
    physical = [c for c in main["tableSchema"]["columns"] if not c.get("virtual")]
    measures = [c["name"] for c in physical if not c.get("suppressOutput") and "valueUrl" not in c]
    units = {c["name"][: -len("_unit")] for c in physical if c["name"].endswith("_unit")}
    constant_units = {}
    for column in main["tableSchema"]["columns"]:
        if column.get("virtual") and column["propertyUrl"] == uris.UNIT_MEASURE:
            measure = column["aboutUrl"].rsplit("/", 1)[-1]
            constant_units[measure] = column["valueUrl"].rsplit("/", 1)[-1]
    frames = []
    for measure in measures:
        unit = wide[f"{measure}_unit"] if measure in units else constant_units[measure]
        frames.append(wide[DIMENSION_COLUMNS].assign(measure=measure, value=wide[measure], unit=unit))
    table = pd.concat(frames, ignore_index=True)
    table["value"] = pd.to_numeric(table["value"].replace("", None), errors="coerce")
    table["status"] = ""
    if rest:
        statuses = _read_by_position(metadata_path.parent, rest[0])
        keyed = statuses.set_index([*DIMENSION_COLUMNS, "measure"])["status"]
        index = pd.MultiIndex.from_frame(table[[*DIMENSION_COLUMNS, "measure"]])
        table["status"] = keyed.reindex(index).fillna("").to_numpy()
    return table


def _read_by_position(directory: Path, table: dict) -> pd.DataFrame:
    names = [c["name"] for c in table["tableSchema"]["columns"] if not c.get("virtual")]
    return pd.read_csv(directory / table["url"], dtype=str, keep_default_na=False, header=0, names=names)
