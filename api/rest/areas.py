"""/api/v1/areas/<code>: an area, its parents and children, and the datasets at its level."""

from __future__ import annotations

from flask import jsonify

from publisher.published import ENTITIES, STATISTICAL_ENTITY, VINTAGES, area_uri

from .common import (
    ApiError,
    blueprint,
    check_code,
    tables,
)


def _area_ref(code: str) -> dict:
    return {"code": code, "label": tables().geography.names.get(code, ""), "uri": area_uri(code)}


@blueprint.route("/areas/<code>")
def area_detail(code: str):
    check_code(code, "code")
    geography = tables().geography
    level = geography.level_of(code)
    if level is None:
        raise ApiError(404, f"area {code} is not an English area of {', '.join(VINTAGES.values())}")
    entity = ENTITIES[code[:3]]
    releases = tables().releases()
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
            "datasets": sorted(n for n, r in releases.items() if r.level == level),
        }
    )
