"""Choropleth maps of any published dataset, measure and period, from the bundled boundaries
(publisher/inputs/boundaries.py): the /map page (Leaflet, served from localindex itself), the JSON behind it
(/api/v1/map) that the <localindex-map> web component also draws, and the boundaries themselves."""

from __future__ import annotations

import math

import numpy as np
from flask import Blueprint, current_app, jsonify, render_template, request

from publisher.published import BOUNDARY_LEVELS as LEVELS
from publisher.published import ENGLAND, VINTAGES, Minter, boundaries, boundary_note, gazetteer, publisher_of

from .citation import cite
from .pages import number_text
from .scorecards import headline

blueprint = Blueprint("maps", __name__)
QUANTILES = 5
# Sequential, colour-blind safe (ColorBrewer YlGnBu): light = low values, dark = high values.
PALETTES = {
    5: ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"],
    10: [
        "#ffffd9",
        "#edf8b1",
        "#c7e9b4",
        "#7fcdbb",
        "#41b6c4",
        "#1d91c0",
        "#225ea8",
        "#253494",
        "#081d58",
        "#03102e",
    ],
}
PREFERRED = ("imd-ward/2019", "imd-lad/2019", "imd-lsoa/2019")


def _tables():
    return current_app.extensions["localindex_tables"]


def _minter() -> Minter:
    return Minter.of(current_app.config["LOCALINDEX_SETTINGS"])


def areas_within(level: str, vintage: str | None, within: str | None) -> list[str]:
    """Codes of the bundled boundaries of ``level`` and ``vintage``, all or those inside ``within``."""
    drawn = boundaries(vintage)
    if within is None or within == ENGLAND:  # every bundled boundary is English
        return sorted(drawn)
    if within in drawn:
        return [within]
    return sorted(gazetteer().inside(within, vintage or "") & set(drawn))


def _known(within: str | None) -> None:
    from .rest.common import ApiError, check_code

    if within is not None:
        check_code(within, "within")
        if within != ENGLAND and not gazetteer().held_by(within):
            raise ApiError(404, f"within: unknown area {within!r}")


def choropleth(
    name: str, component: str | None, measure: str | None, within: str | None, period: str | None = None
) -> dict:
    """Every area's value, class and outline: what the map page and the web component draw."""
    from .rest.common import ApiError, dataset_parameter

    found = dataset_parameter(name)
    release = found.release
    if found.level not in LEVELS:
        raise ApiError(
            400, f"dataset: {found.name} is at {found.level} level; maps are drawn for {', '.join(LEVELS)}"
        )
    component = component or found.components[0]
    if component not in found.components:
        raise ApiError(
            400, f"component: {component!r} not in {found.name} (one of: {', '.join(found.components)})"
        )
    chosen = headline(release, _minter())
    measure = measure or (chosen.measure if chosen else found.measures[0])
    if measure not in found.measures:
        raise ApiError(400, f"measure: {measure!r} not in {found.name} (one of: {', '.join(found.measures)})")
    _known(within)
    codes = areas_within(found.level, release.vintage, within)
    if within is None:  # the dataset's own areas: a council's dataset is drawn over its council
        codes = sorted(set(codes) & set(found.table["area"].unique()))
    if not codes:
        where = f"inside {within}" if within else f"of {found.name}"
        drawn = boundary_note(release.vintage)
        raise ApiError(404, f"no boundaries are bundled for the {found.level} areas {where}. {drawn}")
    rows = found.table[(found.table["component"] == component) & (found.table["measure"] == measure)]
    periods = sorted(rows["period"].astype(str).unique())
    period = period or (periods[-1] if periods else release.period)
    if periods and period not in periods:
        raise ApiError(400, f"period: {period!r} not in {found.name} (one of: {', '.join(periods)})")
    rows = rows[rows["area"].isin(codes) & (rows["period"].astype(str) == period)].set_index("area")
    values = rows["value"].astype(float)
    present = values.dropna()
    classes, assign = _classes(present.to_numpy(), measure)
    name_of = gazetteer().name
    drawn = boundaries(release.vintage)
    base = _minter().base
    features = []
    for code in codes:
        value = values.get(code)
        value = None if value is None or math.isnan(value) else float(value)
        unit = str(rows["unit"].get(code, "")) if code in rows.index else ""
        features.append(
            {
                "type": "Feature",
                "geometry": drawn[code]["geometry"],
                "properties": {
                    "code": code,
                    "name": name_of(code) or code,
                    "value": value,
                    "text": "no value" if value is None else number_text(value, unit),
                    "class": None if value is None else int(assign(value)),
                    "observation": found.observation_uri(code, period, component, measure)
                    if code in rows.index
                    else None,
                    "scorecard": f"{base}area/{code}",
                },
            }
        )
    publisher = publisher_of(release, current_app.config["LOCALINDEX_SETTINGS"])
    labels = current_app.extensions["localindex_described"].current().labels
    scheme = release.component_scheme
    known = labels([_minter().concept(scheme, component), _minter().measure(measure)])
    return {
        "dataset": found.name,
        "uri": release.dataset,
        "title": release.title,
        "licence": release.licence,
        "publisher": {"name": publisher.name, "uri": publisher.uri},
        "level": found.level,
        "within": within,
        "component": component,
        "component_label": known.get(_minter().concept(scheme, component), component),
        "measure": measure,
        "period": period,
        "periods": periods,
        "measure_label": known.get(_minter().measure(measure), measure),
        "rank_direction": release.rank_direction,
        "classification": classes,
        "boundaries": boundary_note(release.vintage),
        "type": "FeatureCollection",
        "features": features,
    }


def _classes(values: np.ndarray, measure: str):
    """Deciles for a decile measure, else quintiles of the values shown; each class with its colour."""
    if measure == "decile":
        palette = PALETTES[10]
        classes = [
            {"label": f"decile {d}", "colour": palette[d - 1], "from": d, "to": d} for d in range(1, 11)
        ]
        return {
            "method": "deciles (the published decile of each area)",
            "classes": classes,
        }, lambda v: int(v) - 1
    palette = PALETTES[QUANTILES]
    if len(values) == 0:
        return {"method": "quintiles of the values shown", "classes": []}, lambda v: 0
    breaks = np.quantile(values, np.linspace(0, 1, QUANTILES + 1))
    classes = [
        {
            "label": f"{number_text(low, '')} to {number_text(high, '')}",
            "colour": palette[i],
            "from": float(low),
            "to": float(high),
        }
        for i, (low, high) in enumerate(zip(breaks[:-1], breaks[1:], strict=True))
    ]
    method = f"quintiles of the {len(values):,} values shown (each class holds a fifth of the areas)"
    return {"method": method, "classes": classes}, lambda v: min(
        QUANTILES - 1, int(np.searchsorted(breaks[1:-1], v, side="right"))
    )


@blueprint.route("/api/v1/map")
def map_json():
    return jsonify(_map_from(request.args))


def _map_from(args) -> dict:
    within = args.get("within") or None
    if within is not None:
        from .rest.common import check_code

        check_code(within, "within")
    return choropleth(
        args.get("dataset") or _default_dataset(),
        args.get("component"),
        args.get("measure"),
        within,
        args.get("period") or None,
    )


def _default_dataset() -> str:
    releases = _tables().releases()
    mappable = [n for n, r in sorted(releases.items()) if r.level in LEVELS and not r.member]
    return next((n for n in PREFERRED if n in mappable), mappable[0] if mappable else "imd-ward/2019")


@blueprint.route("/api/v1/boundaries")
def boundaries_json():
    from .rest.common import ApiError

    level = request.args.get("level", "")
    if level not in LEVELS:
        raise ApiError(400, f"level: expected one of {', '.join(LEVELS)}")
    within = request.args.get("within") or None
    _known(within)
    drawable = [v.id for v in gazetteer().of_level(level) if boundaries(v.id)]
    vintage = request.args.get("vintage") or VINTAGES.get(level) or drawable[-1]
    if vintage not in drawable:
        raise ApiError(
            400, f"vintage: {vintage!r} is not a drawn vintage of {level} areas ({', '.join(drawable)})"
        )
    drawn = boundaries(vintage)
    name_of = gazetteer().name
    features = [
        {
            "type": "Feature",
            "geometry": drawn[c]["geometry"],
            "properties": {"code": c, "name": name_of(c) or c},
        }
        for c in areas_within(level, vintage, within)
    ]
    return jsonify(
        {
            "type": "FeatureCollection",
            "level": level,
            "vintage": vintage,
            "within": within,
            "boundaries": boundary_note(vintage),
            "features": features,
        }
    )


@blueprint.route("/map")
def map_page():
    from .rest.common import ApiError

    settings = current_app.config["LOCALINDEX_SETTINGS"]
    try:
        data = _map_from(request.args)
    except ApiError as error:
        return render_template("map.html", error=error.message, data=None, options=_options()), error.status
    query = {k: data[k] for k in ("dataset", "component", "measure", "period", "within") if data[k]}
    source = "/api/v1/map?" + "&".join(f"{k}={v}" for k, v in query.items())
    page = _minter().base + "map?" + "&".join(f"{k}={v}" for k, v in query.items())
    title = f"{data['component_label']}: {data['measure_label']}, {data['title']}"
    return render_template(
        "map.html",
        data=data,
        source=source,
        options=_options(),
        snippet=embed_snippet(
            _minter().base, data["dataset"], data["measure"], data["within"], data["component"]
        ),
        cite=cite(page, f"Map of {title}", settings.publisher_name),
        error=None,
    )


def _options() -> list[dict]:
    return [
        {"name": n, "title": r.title, "components": list(r.components), "measures": list(r.measures)}
        for n, r in sorted(_tables().releases().items())
        if r.level in LEVELS and not r.member
    ]


def embed_snippet(
    base: str,
    dataset: str,
    measure: str | None = None,
    within: str | None = None,
    component: str | None = None,
    area: str | None = None,
) -> str:
    """The HTML a council pastes into its own page (any origin: CORS): a scorecard of ``area``, else a map."""
    script = f'<script src="{base}embed/localindex.js"></script>'
    if area:
        return f'{script}\n<localindex-scorecard area="{area}" dataset="{dataset}"></localindex-scorecard>'
    attributes = f'dataset="{dataset}"'
    for name, value in (("component", component), ("measure", measure), ("within", within)):
        if value:
            attributes += f' {name}="{value}"'
    return f"{script}\n<localindex-map {attributes}></localindex-map>"
