"""/api/v1/observations: a dataset's observations, filtered, as JSON pages or CSV.

JSON is paged (``next`` and a ``Link`` header, both absolute). CSV is complete: without ``page`` or
``per_page`` it streams every selected row, so a spreadsheet user never gets the first hundred rows
of thousands unawares; with them it is that page, and its ``Link`` header and ``X-Total-Count`` say
so, as for JSON."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from urllib.parse import urlencode

import pandas as pd
from flask import Response, jsonify, request, stream_with_context

from publisher.published import ENGLAND, gazetteer, vocabulary_measures

from ..tables import PublishedDataset
from .common import (
    MAX_PER_PAGE,
    ApiError,
    blueprint,
    check_code,
    dataset_parameter,
    integer_parameter,
    json_number,
    link_header,
    minter,
)

OBSERVATION_FIELDS = [
    "observation",
    "area",
    "area_label",
    "period",
    "component",
    "measure",
    "value",
    "unit",
    "status",
]


def _choices(parameter: str, allowed: list[str]) -> list[str] | None:
    raw = request.args.get(parameter)
    if raw is None or raw == "":
        return None
    values = [v.strip() for v in raw.split(",") if v.strip()]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ApiError(
            400, f"{parameter}: {', '.join(unknown)} not in this dataset (one of: {', '.join(allowed)})"
        )
    return values


def _areas_within(code: str, found: PublishedDataset) -> set[str]:
    """The dataset's areas inside area ``code`` of any vintage (gazetteer: by the lookups, and by
    where their LSOAs fall)."""
    check_code(code, "within")
    if code == ENGLAND:
        return set(found.table["area"].cat.categories)
    places = gazetteer()
    if not places.held_by(code):
        raise ApiError(404, f"within: area {code} is not known")
    inside = places.inside(code, found.release.vintage or "")
    if not inside:
        raise ApiError(
            400,
            f"within: no {found.release.vintage or found.level} areas of {found.name} lie inside {code}: "
            f"they do not nest in it",
        )
    return inside


def _wants_csv() -> bool:
    requested = request.args.get("format")
    if requested not in (None, "", "json", "csv"):
        raise ApiError(400, f"format: {requested!r} is not json or csv")
    if requested:
        return requested == "csv"
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv"


@blueprint.route("/observations")
def observations():
    found = dataset_parameter(request.args.get("dataset"))
    periods = sorted(found.table["period"].cat.categories)
    chosen = {
        column: _choices(column, allowed)
        for column, allowed in (
            ("period", periods),
            ("component", found.components),
            ("measure", found.measures),
        )
    }
    areas: set[str] | None = None
    if request.args.get("area"):
        codes = [check_code(c.strip(), "area") for c in request.args["area"].split(",") if c.strip()]
        unknown = sorted(found.unknown_areas(codes))
        if unknown:
            raise ApiError(404, f"area: {', '.join(unknown[:10])} not in {found.name}")
        areas = set(codes)
    if request.args.get("within"):
        inside = _areas_within(request.args["within"], found)
        areas = inside if areas is None else areas & inside
    table = found.table if areas is None else found.rows_of(areas)
    mask = pd.Series(True, index=table.index)
    for column, values in chosen.items():
        if values is not None:
            mask &= table[column].isin(values)
    page = integer_parameter("page", 1, 1, 10**9)
    per_page = integer_parameter("per_page", 100, 1, MAX_PER_PAGE)
    selected = table[mask]
    total = len(selected)
    if _wants_csv() and not {"page", "per_page"} & set(request.args):
        response = Response(stream_with_context(_csv_chunks(found, selected)), mimetype="text/csv")
        response.headers["X-Total-Count"] = str(total)
        return response
    rows = selected.iloc[(page - 1) * per_page : page * per_page]
    records = _observation_records(found, rows)
    pages = max(1, math.ceil(total / per_page))
    here = f"{minter().base}api/v1/observations?"
    links = {
        relation: here + urlencode({**request.args.to_dict(), "page": number})
        for relation, number in (
            ("first", 1),
            ("prev", page - 1 if 1 < page <= pages else None),
            ("next", page + 1 if page < pages else None),
            ("last", pages),
        )
        if number is not None
    }
    if _wants_csv():
        response = Response(_csv_text(records, header=True), mimetype="text/csv")
    else:
        response = jsonify(
            {
                "dataset": found.uri,
                "total": total,
                "page": page,
                "per_page": per_page,
                "pages": pages,
                "next": links.get("next"),
                "observations": records,
            }
        )
    response.headers["Link"] = link_header(links)
    response.headers["X-Total-Count"] = str(total)
    return response


CSV_CHUNK_ROWS = 20_000


def _csv_chunks(found: PublishedDataset, selected: pd.DataFrame) -> Iterator[str]:
    """The whole selection as CSV, written a slice at a time (a national edition has millions of rows)."""
    yield _csv_text([], header=True)
    for start in range(0, len(selected), CSV_CHUNK_ROWS):
        yield _csv_text(
            _observation_records(found, selected.iloc[start : start + CSV_CHUNK_ROWS]), header=False
        )


def _csv_text(records: list[dict], header: bool) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=OBSERVATION_FIELDS, lineterminator="\n")
    if header:
        writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def _observation_records(found: PublishedDataset, rows: pd.DataFrame) -> list[dict]:
    names = gazetteer().labels
    integer = _integer_measures()
    return [
        {
            "observation": found.observation_uri(a, p, c, m),
            "area": a,
            "area_label": names.get(a, ""),
            "period": p,
            "component": c,
            "measure": m,
            "value": json_number(v, m in integer),
            "unit": u,
            "status": s or None,
        }
        for a, p, c, m, v, u, s in zip(
            rows["area"],
            rows["period"],
            rows["component"],
            rows["measure"],
            rows["value"],
            rows["unit"],
            rows["status"],
            strict=True,
        )
    ]


def _integer_measures() -> set[str]:
    return {n for n, m in vocabulary_measures(minter().base).items() if m.integer}
