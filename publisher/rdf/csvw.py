"""Tidy table → CSV on the Web: a wide CSV (one row per area × period × component, one column per
measure) plus a W3C metadata file whose URI templates generate exactly the published observations.

No IRI-valued column ever holds an empty cell (processors differ on whether a valueUrl applies to
a null cell), so observation statuses live in a second table of the group, one row per status.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..inputs.datasets import DatasetSpec
from . import uris
from .cube import CubeShape, lexical_values
from .uris import Minter

DIMENSION_COLUMNS = ["area", "period", "component"]
CSVW_CONTEXT = "http://www.w3.org/ns/csvw"


def write_csvw(
    table: pd.DataFrame, spec: DatasetSpec, shape: CubeShape, minter: Minter, directory: Path, stem: str
) -> list[Path]:
    """Write the CSV file(s) and their metadata; return the paths written."""
    lexical = table.assign(value=lexical_values(table, shape))
    units = lexical.groupby("measure", observed=True)["unit"].nunique()
    varying_units = [m for m in spec.measures if units.get(m, 0) > 1]

    wide = _wide(lexical, spec.measures, varying_units)
    main_csv = directory / f"{stem}.csv"
    wide.to_csv(main_csv, index=False)
    written = [main_csv]
    tables = [_main_table(main_csv.name, spec, shape, minter, lexical, varying_units)]

    statuses = lexical.loc[lexical["status"] != "", ["area", "period", "component", "measure", "status"]]
    if len(statuses):
        status_csv = directory / f"{stem}-status.csv"
        statuses.astype(str).to_csv(status_csv, index=False)
        written.append(status_csv)
        tables.append(_status_table(status_csv.name, main_csv.name, shape, minter))

    metadata = {
        "@context": [CSVW_CONTEXT, {"@language": "en"}],
        "@id": f"{shape.dataset}/csvw",
        "dc:title": spec.title,
        "dc:description": " ".join(spec.description.split()),
        "dc:license": {"@id": spec.licence_uri},
        "dc:source": {"@id": shape.dataset},
        "tables": tables,
    }
    metadata_path = directory / f"{stem}.csv-metadata.json"
    metadata_path.write_text(json.dumps(metadata, indent=2) + "\n")
    return [*written, metadata_path]


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


def _key_columns(spec: DatasetSpec) -> list[dict]:
    return [
        {
            "name": "area",
            "titles": "area",
            "required": True,
            "suppressOutput": True,
            "datatype": {"base": "string", "format": spec.area_code_pattern},
            "dc:description": "GSS code of the area",
        },
        {
            "name": "period",
            "titles": "period",
            "required": True,
            "suppressOutput": True,
            "datatype": "string",
            "dc:description": "reference period",
        },
        {
            "name": "component",
            "titles": "component",
            "required": True,
            "suppressOutput": True,
            "datatype": "string",
            "dc:description": "index or domain notation",
        },
    ]


def _main_table(url, spec, shape: CubeShape, minter: Minter, lexical, varying_units) -> dict:
    periods = set(lexical["period"].astype(str))
    if any(len(p) != 4 for p in periods):
        raise ValueError(f"{spec.name}: CSVW output supports calendar-year periods only, got {periods}")
    columns = _key_columns(spec)
    virtual = []
    for measure, iri in shape.measures.items():
        about = _observation_template(shape, measure)
        datatype = shape.datatypes[measure].rsplit("#", 1)[-1]
        columns.append(
            {"name": measure, "titles": measure, "datatype": datatype, "aboutUrl": about, "propertyUrl": iri}
        )
        if measure in varying_units:
            columns.append(
                {
                    "name": f"{measure}_unit",
                    "titles": f"{measure}_unit",
                    "required": True,
                    "aboutUrl": about,
                    "propertyUrl": uris.UNIT_MEASURE,
                    "valueUrl": minter.concept("unit", f"{{{measure}_unit}}"),
                }
            )
        else:
            unit = lexical.loc[lexical["measure"] == measure, "unit"].iloc[0]
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


def _status_table(url: str, main_url: str, shape: CubeShape, minter: Minter) -> dict:
    about = f"{shape.obs_prefix}{{area}}/{{period}}/{{component}}/{{measure}}"
    plain = {"required": True, "suppressOutput": True, "datatype": "string"}
    columns = [{"name": n, "titles": n, **plain} for n in ("area", "period", "component", "measure")]
    columns.append(
        {
            "name": "status",
            "titles": "status",
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
    """Read a release's CSVW back into the tidy table (the inverse of write_csvw)."""
    metadata = json.loads(metadata_path.read_text())
    main, *rest = metadata["tables"]
    wide = pd.read_csv(metadata_path.parent / main["url"], dtype=str, keep_default_na=False)
    names = [c["name"] for c in main["tableSchema"]["columns"] if not c.get("virtual")]
    measures = [n for n in names if n not in DIMENSION_COLUMNS and not n.endswith("_unit")]
    units = {
        c["name"][: -len("_unit")]: None
        for c in main["tableSchema"]["columns"]
        if c["name"].endswith("_unit")
    }
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
        statuses = pd.read_csv(metadata_path.parent / rest[0]["url"], dtype=str, keep_default_na=False)
        keyed = statuses.set_index([*DIMENSION_COLUMNS, "measure"])["status"]
        index = pd.MultiIndex.from_frame(table[[*DIMENSION_COLUMNS, "measure"]])
        table["status"] = keyed.reindex(index).fillna("").to_numpy()
    return table
