"""/api/v1/areas/<code>: an area in every bundled vintage of England's geography, side by side.

Which vintages hold the code and when it was in use, its parents and children in each, the areas it
became or came from (data/geography.toml, publisher/inputs/gazetteer.py), and the datasets on it.
"""

from __future__ import annotations

from flask import jsonify

from publisher.published import ENGLAND, ENTITIES, STATISTICAL_ENTITY, area_uri, gazetteer

from .common import ApiError, blueprint, check_code, tables

NOTE = (
    "Parents and children are ONS best-fit lookups (an LSOA lies wholly in one area of each kind); in_use "
    "runs from the first to the last bundled vintage that holds the code, as far as the bundled lookups "
    "tell. Successors and predecessors of an LSOA follow the ONS change codes (LSOA 2011 to 2021); those "
    "of other areas are the areas their LSOAs fall in, with the share of the LSOAs in each: approximate."
)


def area_ref(code: str) -> dict:
    return {"code": code, "label": gazetteer().name(code), "uri": area_uri(code)}


def _related(related) -> dict:
    return {
        **area_ref(related.code),
        "vintage": related.vintage,
        "relation": related.relation,
        "share_of_lsoas": related.share,
        "approximate": related.approximate,
    }


@blueprint.route("/areas/<code>")
def area_detail(code: str):
    check_code(code, "code")
    places = gazetteer()
    held = places.held_by(code)
    if not held:
        known = ", ".join(places.vintages)
        raise ApiError(
            404, f"area {code} is in none of the bundled vintages of England's geography ({known})"
        )
    latest = held[-1]
    vintages = []
    for vintage in held:
        start, until = places.in_use(code, vintage)
        vintages.append(
            {
                "vintage": vintage.id,
                "title": vintage.title,
                "level": vintage.level,
                "in_use": {"from": start.isoformat(), "until": until.isoformat() if until else None},
                "current": until is None,
            }
        )
    entity = ENTITIES.get(code[:3], (latest.level, latest.title))
    ids = {v.id for v in held}
    releases = tables().releases()
    return jsonify(
        {
            **area_ref(code),
            "level": latest.level,
            "entity": {"code": code[:3], "label": entity[1], "uri": STATISTICAL_ENTITY + code[:3]},
            "vintage": latest.id,
            "current": vintages[-1]["current"],
            "vintages": vintages,
            "parents": {
                **{vintage: area_ref(c) for vintage, c in sorted(places.parents(code).items())},
                "CTRY": {"code": ENGLAND, "label": "England", "uri": area_uri(ENGLAND)},
            },
            "children": {
                vintage: [area_ref(c) for c in codes]
                for vintage, codes in sorted(places.children(code).items())
            },
            "successors": [_related(r) for r in places.successors(code)],
            "predecessors": [_related(r) for r in places.predecessors(code)],
            "note": NOTE,
            "datasets": sorted(n for n, r in releases.items() if r.vintage in ids),
        }
    )
