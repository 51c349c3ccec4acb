"""What every resource of the REST API shares: the blueprint, its error, request checks and the
published tables and URIs of the running app."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from flask import Blueprint, current_app, jsonify, request, url_for

from publisher.published import Minter

from ..tables import PublishedDataset, PublishedTables

blueprint = Blueprint("rest", __name__, url_prefix="/api/v1")
OPENAPI = Path(__file__).resolve().parent.parent / "openapi.json"
CODE = re.compile(r"^[EWSNK]\d{8}$")
DATASET = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")
MAX_PER_PAGE = 1000
MAX_POSTED_AREAS = 40_000
# Which levels nest in which: a finer area belongs wholly to one coarser area.
# How fine each level of area is: a dataset aggregates only to a coarser level.
FINER = {
    "lsoa": 0,
    **dict.fromkeys(["msoa", "ward", "ccg"], 1),
    **dict.fromkeys(["lad", "sicbl", "pcon"], 2),
    **dict.fromkeys(["stp", "icb", "region"], 3),
    "country": 4,
}


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@blueprint.app_errorhandler(ApiError)  # also for the map and scorecard JSON of other blueprints
def _api_error(error: ApiError):
    return jsonify({"error": {"status": error.status, "message": error.message}}), error.status


def tables() -> PublishedTables:
    return current_app.extensions["localindex_tables"]


def minter() -> Minter:
    return Minter.of(current_app.config["LOCALINDEX_SETTINGS"])


def check_code(code: str, parameter: str) -> str:
    if not CODE.fullmatch(code):
        raise ApiError(
            400, f"{parameter}: {code!r} is not a GSS code (a letter and 8 digits, e.g. E09000002)"
        )
    return code


def integer_parameter(parameter: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(parameter, str(default))
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses; and a bounded length,
    # as int() refuses strings of more than 4,300 digits
    if not WHOLE_NUMBER.fullmatch(raw) or not low <= int(raw) <= high:
        raise ApiError(400, f"{parameter}: {raw!r} is not a whole number from {low} to {high}")
    return int(raw)


def link_header(links: dict[str, str]) -> str:
    """An HTTP ``Link`` header of relation → URL."""
    return ", ".join(f'<{url}>; rel="{relation}"' for relation, url in links.items())


def dataset_parameter(name: object) -> PublishedDataset:
    """The published dataset ``name`` (a query value, or whatever JSON a client posted)."""
    if name is None or name == "":
        raise ApiError(400, "dataset: required, e.g. dataset=imd-lsoa/2019 (see /api/v1/datasets)")
    if not isinstance(name, str):
        raise ApiError(400, f'dataset: expected a string such as "imd-lsoa/2019", not {json_type(name)}')
    if not DATASET.fullmatch(name):
        raise ApiError(
            400, f"dataset: {name!r} is not of the form series/edition (on a hub: member/series/edition)"
        )
    found = tables().dataset(name)
    if found is None:
        # by full endpoint name: the map and scorecard blueprints call this too
        raise ApiError(404, f"no published dataset {name!r}; see {url_for('rest.datasets')}")
    return found


def json_type(value: object) -> str:
    """What a posted JSON value other than a string is, for an error message."""
    names = {bool: "a boolean", int: "a number", float: "a number", list: "an array", dict: "an object"}
    return names.get(type(value), "null")


def json_number(value: float, integer: bool):
    if value is None or pd.isna(value):
        return None
    return int(value) if integer and float(value).is_integer() else float(value)
