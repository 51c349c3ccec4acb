"""REST API under /api/v1 (described by api/openapi.json): datasets, areas, observations and
aggregation, answered from the in-memory tables of api/tables.py.

Aggregating an LSOA edition of the IMD uses the official IoD summary measures: precomputed derived
datasets where they exist (their rows carry observation URIs), computed on the fly otherwise. Any
other dataset aggregates measure by measure by the rule its measure declares in vocab/.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections import Counter
from pathlib import Path

import pandas as pd
from flask import Blueprint, Response, current_app, jsonify, request, url_for

from publisher.compute.aggregate import (
    IMD_ONLY,
    MEASURES,
    NotAggregable,
    aggregate_by_rule,
    rank_descending,
    summarise_index,
)
from publisher.inputs.geography import ENTITIES, LEVELS, VINTAGES
from publisher.inputs.publishers import publisher_of
from publisher.rdf.uris import OGL_V3, STATISTICAL_ENTITY, Minter, area
from publisher.rdf.vocab import measures

from .downloads import download_urls
from .tables import ONS_POPULATION, PublishedDataset, PublishedTables

blueprint = Blueprint("rest", __name__, url_prefix="/api/v1")
OPENAPI = Path(__file__).with_name("openapi.json")
CODE = re.compile(r"^[EWSNK]\d{8}$")
DATASET = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")
MAX_PER_PAGE = 1000
MAX_POSTED_AREAS = 40_000
# Which levels nest in which: a finer area belongs wholly to one coarser area.
FINER = {"lsoa": 0, "ward": 1, "ccg": 1, "lad": 2, "stp": 3, "region": 3, "country": 4}


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@blueprint.app_errorhandler(ApiError)  # also for the map and scorecard JSON of other blueprints
def _api_error(error: ApiError):
    return jsonify({"error": {"status": error.status, "message": error.message}}), error.status


def _tables() -> PublishedTables:
    return current_app.extensions["localindex_tables"]


def _minter() -> Minter:
    return Minter.of(current_app.config["LOCALINDEX_SETTINGS"])


@blueprint.route("/openapi.json")
def openapi():
    document = json.loads(OPENAPI.read_text())
    document["servers"] = [{"url": _minter().base + "api/v1"}]
    return jsonify(document)


# --- datasets ------------------------------------------------------------------------------------


def _describe(name: str, release: dict) -> dict:
    base = _minter().base
    present = Path(release["dir"]).exists()
    derived_from = release.get("derived_from") or None
    return {
        "id": name,
        "uri": release["dataset"],
        "title": release.get("title"),
        "period": release.get("period"),
        "level": release.get("level"),
        "geography_vintage": release.get("vintage"),
        "components": release.get("components"),
        "measures": release.get("measures"),
        "derived_from": derived_from,
        "derived": derived_from is not None,
        "method": release.get("method"),
        "structure": release.get("structure"),
        "observations": release["observations"],
        "published": release["published"],
        "downloads": _downloads(release) if present else [],
        "member": release.get("member"),
        "revision": release.get("revision", 1),
        "publisher": _publisher(release),
        "licence": release.get("licence", OGL_V3),
        "sparql": f"{base}sparql",
    }


def _publisher(release: dict) -> dict:
    """Who published the release: a registered council or charity, or this deployment."""
    found = publisher_of(release, current_app.config["LOCALINDEX_SETTINGS"])
    return {"id": found.id, "name": found.name, "uri": found.uri}


def _downloads(release: dict) -> list[str]:
    if release.get("member"):  # harvested: the member's own dump
        return [release["dump"]]
    return list(download_urls(_minter(), release).values())


@blueprint.route("/datasets")
def datasets():
    releases = _tables().releases()
    snapshot = current_app.extensions["localindex_snapshots"].current()
    harvested = snapshot.manifest.get("harvested", {}) if snapshot else {}
    return jsonify(
        {
            "datasets": [_describe(n, r) for n, r in sorted(releases.items()) if not r.get("member")],
            "harvested": [
                {
                    "id": key,
                    "member": h["member"],
                    "uri": h["dataset"],
                    "graph": h["graph"],
                    "dump": h["dump"],
                    "sha256": h["sha256"],
                    "fetched": h["fetched"],
                }
                for key, h in sorted(harvested.items())
            ],
        }
    )


@blueprint.route("/datasets/<series>/<edition>")
def dataset(series: str, edition: str):
    name = f"{series}/{edition}"
    releases = _tables().releases()
    if name not in releases:
        raise ApiError(404, f"no published dataset {name!r}; see {url_for('.datasets')}")
    return jsonify(_describe(name, releases[name]))


# --- areas ---------------------------------------------------------------------------------------


def _check_code(code: str, parameter: str) -> str:
    if not CODE.fullmatch(code):
        raise ApiError(
            400, f"{parameter}: {code!r} is not a GSS code (a letter and 8 digits, e.g. E09000002)"
        )
    return code


def _area_ref(code: str) -> dict:
    return {"code": code, "label": _tables().geography.names.get(code, ""), "uri": area(code)}


@blueprint.route("/areas/<code>")
def area_detail(code: str):
    _check_code(code, "code")
    geography = _tables().geography
    level = geography.level_of(code)
    if level is None:
        raise ApiError(404, f"area {code} is not an English area of {', '.join(VINTAGES.values())}")
    entity = ENTITIES[code[:3]]
    releases = _tables().releases()
    return jsonify(
        {
            **_area_ref(code),
            "level": level,
            "entity": {"code": code[:3], "label": entity[1], "uri": STATISTICAL_ENTITY + code[:3]},
            "vintage": VINTAGES.get(level),
            "parents": {vintage: _area_ref(c) for vintage, c in geography.parents(code).items()},
            "children": {
                vintage: [_area_ref(c) for c in codes] for vintage, codes in geography.children(code).items()
            },
            "datasets": sorted(n for n, r in releases.items() if r.get("level") == level),
        }
    )


# --- observations --------------------------------------------------------------------------------


def _dataset_parameter(name: object) -> PublishedDataset:
    """The published dataset ``name`` (a query value, or whatever JSON a client posted)."""
    if name is None or name == "":
        raise ApiError(400, "dataset: required, e.g. dataset=imd-lsoa/2019 (see /api/v1/datasets)")
    if not isinstance(name, str):
        raise ApiError(400, f'dataset: expected a string such as "imd-lsoa/2019", not {_json_type(name)}')
    if not DATASET.fullmatch(name):
        raise ApiError(
            400, f"dataset: {name!r} is not of the form series/edition (on a hub: member/series/edition)"
        )
    found = _tables().dataset(name)
    if found is None:
        # by full endpoint name: the map and scorecard blueprints call this too
        raise ApiError(404, f"no published dataset {name!r}; see {url_for('rest.datasets')}")
    return found


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


def _integer(parameter: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(parameter, str(default))
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses; and a bounded length,
    # as int() refuses strings of more than 4,300 digits
    if not WHOLE_NUMBER.fullmatch(raw) or not low <= int(raw) <= high:
        raise ApiError(400, f"{parameter}: {raw!r} is not a whole number from {low} to {high}")
    return int(raw)


def _areas_within(code: str, level: str) -> set[str]:
    """Areas of ``level`` inside area ``code`` (by the LSOA lookups)."""
    _check_code(code, "within")
    geography = _tables().geography
    within_level = geography.level_of(code)
    if within_level is None:
        raise ApiError(404, f"within: area {code} is not known")
    if FINER.get(level, 0) >= FINER[within_level]:
        raise ApiError(400, f"within: {code} is a {within_level}; {level} areas do not nest inside it")
    lsoas = (
        geography.lsoas
        if within_level == "country"
        else geography.lsoas[geography.lsoas[within_level] == code]
    )
    return set(lsoas[level])


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
    found = _dataset_parameter(request.args.get("dataset"))
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
        codes = [_check_code(c.strip(), "area") for c in request.args["area"].split(",") if c.strip()]
        unknown = sorted(found.unknown_areas(codes))
        if unknown:
            raise ApiError(404, f"area: {', '.join(unknown[:10])} not in {found.name}")
        areas = set(codes)
    if request.args.get("within"):
        inside = _areas_within(request.args["within"], found.level)
        areas = inside if areas is None else areas & inside
    table = found.table if areas is None else found.rows_of(areas)
    mask = pd.Series(True, index=table.index)
    for column, values in chosen.items():
        if values is not None:
            mask &= table[column].isin(values)
    page = _integer("page", 1, 1, 10**9)
    per_page = _integer("per_page", 100, 1, MAX_PER_PAGE)
    selected = table[mask]
    total = len(selected)
    rows = selected.iloc[(page - 1) * per_page : page * per_page]
    records = _observation_records(found, rows)
    if _wants_csv():
        buffer = io.StringIO()
        pd.DataFrame(records, columns=OBSERVATION_FIELDS).to_csv(buffer, index=False)
        return Response(buffer.getvalue(), mimetype="text/csv")
    pages = max(1, math.ceil(total / per_page))
    following = None
    if page < pages:
        following = url_for(".observations", **{**request.args.to_dict(), "page": page + 1}, _external=False)
    return jsonify(
        {
            "dataset": found.uri,
            "total": total,
            "page": page,
            "per_page": per_page,
            "pages": pages,
            "next": following,
            "observations": records,
        }
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


def _number(value: float, integer: bool):
    if value is None or pd.isna(value):
        return None
    return int(value) if integer and float(value).is_integer() else float(value)


def _observation_records(found: PublishedDataset, rows: pd.DataFrame) -> list[dict]:
    names = _tables().geography.names
    integer = _integer_measures()
    return [
        {
            "observation": found.observation_uri(a, p, c, m),
            "area": a,
            "area_label": names.get(a, ""),
            "period": p,
            "component": c,
            "measure": m,
            "value": _number(v, m in integer),
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
    return {n for n, m in measures(_minter().base).items() if m.integer}


# --- aggregation ---------------------------------------------------------------------------------


@blueprint.get("/aggregate")
def aggregate_to_level():
    found = _dataset_parameter(request.args.get("dataset"))
    level = request.args.get("level")
    if level not in LEVELS:
        raise ApiError(400, f"level: {level!r} is not one of {', '.join(LEVELS)}")
    component = _single_component(found, request.args.get("component"))
    if found.release.get("builder") == "imd":
        return jsonify(_official_to_level(found, level, component))
    return jsonify(_by_rule_to_level(found, level, component))


@blueprint.post("/aggregate")
def aggregate_posted():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(
            400, 'body: expected a JSON object {"dataset": "imd-lsoa/2019", "areas": [LSOA codes]}'
        )
    found = _dataset_parameter(body.get("dataset"))
    codes = _posted_areas(found, body.get("areas"))
    components = found.components
    component = body.get("component")
    if component is not None:
        if not isinstance(component, str):
            raise ApiError(400, f"component: expected a string, not {_json_type(component)}")
        components = [_single_component(found, component)]
    grouping = pd.DataFrame({"lsoa": codes, "group": "posted", "share": 1.0})
    results: list[dict] = []
    if found.release.get("builder") == "imd":
        method, population = _minter().method("imd-area-summaries"), None
        for component in components:
            summary, population = _official_summary(found, grouping, component)
            for measure in [*MEASURES, "population"]:
                value = summary.loc["posted", measure]
                if component != "imd" and measure in IMD_ONLY:
                    continue
                results.append({"component": component, "measure": measure, "value": _number(value, False)})
    else:
        method = _minter().method("aggregate-by-declared-rule")
        parts = pd.DataFrame({"part": codes, "group": "posted"})
        for component in components:
            for measure in found.measures:
                rule = _rules()[measure].aggregation_rule
                if rule == "not-aggregable":
                    continue
                combined, population = _combine(found, parts, component, measure, rule)
                value = combined.loc["posted", "value"]
                results.append(
                    {"component": component, "measure": measure, "rule": rule, "value": _number(value, False)}
                )
    return jsonify(
        {
            "dataset": found.uri,
            "method": method,
            "population": population,
            "inputs": {"dataset": found.uri, "areas": len(codes), "area_codes": codes},
            "results": results,
        }
    )


def _json_type(value: object) -> str:
    """What a posted JSON value other than a string is, for an error message."""
    names = {bool: "a boolean", int: "a number", float: "a number", list: "an array", dict: "an object"}
    return names.get(type(value), "null")


def _single_component(found: PublishedDataset, raw: str | None) -> str:
    if raw is None or raw == "":
        return found.components[0]
    if raw not in found.components:
        raise ApiError(400, f"component: {raw!r} not in this dataset (one of: {', '.join(found.components)})")
    return raw


def _posted_areas(found: PublishedDataset, areas) -> list[str]:
    if not isinstance(areas, list) or not areas or not all(isinstance(a, str) for a in areas):
        raise ApiError(400, "areas: expected a non-empty JSON list of GSS codes")
    if len(areas) > MAX_POSTED_AREAS:
        raise ApiError(400, f"areas: {len(areas):,} codes; at most {MAX_POSTED_AREAS:,}")
    for code in areas:
        _check_code(code, "areas")
    repeated = sorted(code for code, times in Counter(areas).items() if times > 1)
    if repeated:
        raise ApiError(400, f"areas: listed more than once (would count twice): {', '.join(repeated[:10])}")
    known = set(found.table["area"].cat.categories)
    missing = [a for a in areas if a not in known]
    if missing:
        geography = _tables().geography
        other_level = [a for a in missing if geography.level_of(a)]
        if other_level:
            raise ApiError(
                400,
                f"areas: {', '.join(other_level[:10])} are not {found.level} areas of {found.name}"
                f" ({len(other_level):,} in all)",
            )
        raise ApiError(404, f"areas: unknown area(s) {', '.join(missing[:10])} ({len(missing):,} in all)")
    return sorted(areas)


def _official_to_level(found: PublishedDataset, level: str, component: str) -> dict:
    """IoD summary measures per area of ``level``: from the precomputed derived dataset if there is one."""
    measure = request.args.get("measure") or "average-score"
    if measure not in [*MEASURES, "population"]:
        raise ApiError(
            400, f"measure: {measure!r} is not a summary measure ({', '.join([*MEASURES, 'population'])})"
        )
    names = _tables().geography.names
    releases = _tables().releases()
    derived = next(
        (
            n
            for n, r in sorted(releases.items())
            if r.get("derived_from") == found.name and r.get("level") == level
        ),
        None,
    )
    if derived is not None:
        summary = _tables().dataset(derived)
        wide = summary.wide(component)
        period = summary.release["period"]
        rank = f"rank-of-{measure}"
        ranks = wide[rank].tolist() if rank in wide.columns else [None] * len(wide)
        rows = [
            {
                "area": code,
                "area_label": names.get(code, ""),
                "value": _number(value, False),
                "rank": _number(area_rank, True),
                "population": _number(population, False),
                "observation": summary.observation_uri(code, period, component, measure),
            }
            for code, value, area_rank, population in zip(
                wide.index, wide[measure].tolist(), ranks, wide["population"].tolist(), strict=True
            )
        ]
        method, vintage, source = summary.release["method"], summary.release["vintage"], summary.uri
    else:
        grouping = _tables().geography.grouping(level)
        table, population = _official_summary(found, grouping, component)
        ranks = rank_descending(table[measure]) if table[measure].notna().all() else None
        rows = [
            {
                "area": code,
                "area_label": names.get(code, ""),
                "value": _number(table.loc[code, measure], False),
                "rank": None if ranks is None else int(ranks[code]),
                "population": _number(table.loc[code, "population"], False),
            }
            for code in table.index
        ]
        method, vintage, source = _minter().method("imd-area-summaries"), LEVELS[level], None
    return {
        "dataset": found.uri,
        "derived_dataset": source,
        "method": method,
        "level": level,
        "geography_vintage": vintage,
        "component": component,
        "measure": measure,
        "count": len(rows),
        "rows": rows,
    }


def _official_summary(found: PublishedDataset, grouping: pd.DataFrame, component: str):
    """The official measures over LSOA pieces, with the dataset's own denominators when it has them."""
    wide = found.wide(component)
    pieces = grouping.merge(wide, left_on="lsoa", right_index=True)
    if "population" in wide.columns:
        population = {
            "label": f"population denominators of {found.name}",
            "uri": _minter().measure("population"),
        }
    else:
        pieces = pieces.merge(
            _tables().ons_population.rename("population"), left_on="lsoa", right_index=True, how="left"
        )
        population = _ons_population_source()
    table = summarise_index(pieces, int(found.release["universe"]), component)
    table["population"] = (pieces["population"] * pieces["share"]).groupby(pieces["group"]).sum()
    return table, population


def _ons_population_source() -> dict:
    return {
        "label": "ONS mid-2018 LSOA population estimates (SAPE21DT11)",
        "uri": _minter().source(ONS_POPULATION),
    }


def _rules():
    return measures(_minter().base)


def _by_rule_to_level(found: PublishedDataset, level: str, component: str) -> dict:
    measure = request.args.get("measure")
    if not measure or measure not in found.measures:
        raise ApiError(400, f"measure: required, one of {', '.join(found.measures)}")
    rule = _rules()[measure].aggregation_rule
    geography = _tables().geography
    if found.level not in geography.lsoas.columns or FINER[found.level] >= FINER[level]:
        raise ApiError(400, f"level: {found.name} is at {found.level} level; {level} is not a coarser level")
    if found.release.get("vintage") != VINTAGES[found.level]:
        raise ApiError(
            400,
            f"dataset: {found.name} uses {found.release.get('vintage')} areas, but the bundled lookups are "
            f"{VINTAGES[found.level]}; its areas cannot be assigned to {level} areas",
        )
    links = geography.lsoas[[found.level, level]].drop_duplicates()
    links = links[links[found.level].isin(found.table["area"].cat.categories)]  # only this dataset's areas
    split = links[found.level][links[found.level].duplicated()]
    if len(split):
        raise ApiError(
            400,
            f"level: {found.name}'s {found.level} areas do not nest in {level} areas "
            f"({split.nunique()} span several, e.g. {split.iloc[0]}); aggregate from LSOAs instead",
        )
    parts = links.rename(columns={found.level: "part", level: "group"})
    combined, population = _combine(found, parts, component, measure, rule)
    names = geography.names
    rows = [
        {
            "area": code,
            "area_label": names.get(code, ""),
            "value": _number(row["value"], False),
            "population": _number(row["population"], False),
            "parts": int(row["parts"]),
            "coverage": float(row["coverage"]),
        }
        for code, row in combined.iterrows()
    ]
    return {
        "dataset": found.uri,
        "method": _minter().method("aggregate-by-declared-rule"),
        "rule": rule,
        "population": population,
        "level": level,
        "geography_vintage": VINTAGES[level],
        "component": component,
        "measure": measure,
        "count": len(rows),
        "rows": rows,
    }


def _combine(found: PublishedDataset, parts: pd.DataFrame, component: str, measure: str, rule: str):
    """Aggregate one measure over (part, group) rows by its rule; weights stated with the result."""
    wide = found.wide(component)
    geography = _tables().geography
    counts = geography.lsoas.groupby(found.level).size() if found.level in geography.lsoas else None
    expected = parts.groupby("group").size()
    parts = parts[parts["part"].isin(wide.index)]
    frame = parts.assign(value=parts["part"].map(wide[measure]))
    if "population" in wide.columns:
        frame["population"] = frame["part"].map(wide["population"])
        population = {"label": f"population measure of {found.name}", "uri": _minter().measure("population")}
    else:
        ons = _tables().ons_population.reindex(geography.lsoas["lsoa"]).to_numpy()
        by_part = pd.Series(ons, index=geography.lsoas[found.level].to_numpy()).groupby(level=0).sum()
        frame["population"] = frame["part"].map(by_part)
        population = _ons_population_source()
    frame["lsoas"] = frame["part"].map(counts) if counts is not None else 1
    try:
        combined = aggregate_by_rule(frame, rule)
        combined["coverage"] = combined["parts"] / expected.reindex(combined.index)
        return combined, population
    except NotAggregable as error:
        raise ApiError(400, f"measure: {measure} ({rule}): {error}") from None
