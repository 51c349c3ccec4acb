"""/api/v1/areas/<code>/history: an area's value in every edition of a series, on today's area.

An edition is read where it was published on the area itself. Otherwise an edition of the Indices
published on LSOAs of another vintage is brought onto the area: its LSOAs are carried through the
ONS LSOA change lookup to the LSOAs the area is built from (publisher/inputs/gazetteer.py, `carried`)
and summarised by the official method, for every area of the same vintage so that the value has a
rank among its peers. Where neither can be done the edition says why. What compares across editions
(relative positions) and what does not (scores of the IMD) is stated with every answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
from flask import jsonify, request

from publisher.published import (
    SUMMARY_MEASURES,
    Release,
    Vintage,
    gazetteer,
    rank_descending,
)

from .aggregate import official_summary
from .areas import area_ref
from .common import ApiError, blueprint, check_code, json_number, minter, tables

SERIES = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
SUMMARIES = (*SUMMARY_MEASURES, "population")
DEFAULT_MEASURES = ("average-score", "score")
NOT_COMPARABLE = {"average-score", "score"}  # of the IoD: each edition scores on its own indicators
IOD_COMPARABILITY = (
    "Each edition of the Indices ranks areas against the rest of England at its own time. Ranks, deciles, "
    "proportions, extent and local concentration are relative positions and compare across editions as "
    "such: a change says the area moved relative to others, not that deprivation itself rose or fell. "
    "Scores do not compare across editions: each edition sets its own indicators and scales, and "
    "IoD2025 added and changed indicators (among them an income measure after housing costs)."
)
ONE_METHOD = (
    "Every edition is computed by one method ({method}), whose fixed parameters (for an index, its "
    "goalposts) put the editions on one scale: values and ranks compare across editions."
)
OTHER_COMPARABILITY = "Whether values compare across editions is for the series' method to say: see it."


@dataclass(frozen=True)
class Edition:
    """One edition of the history: where it is published on the area's level, if anywhere, and the
    LSOA release it can be computed from."""

    edition: str
    published: Release | None
    source: Release | None

    @property
    def release(self) -> Release:
        return self.published or self.source


@blueprint.get("/areas/<code>/history")
def area_history(code: str):
    check_code(code, "code")
    args = request.args
    return jsonify(
        history_of(
            code, args.get("dataset") or None, args.get("component") or None, args.get("measure") or None
        )
    )


def history_of(code: str, series: str | None, component: str | None, measure: str | None) -> dict:
    """The history answer (see the module's docstring); an ApiError names what cannot be answered."""
    held = gazetteer().held_by(code)
    if not held:
        raise ApiError(404, f"area {code} is in none of the bundled vintages of England's geography")
    area = held[-1]
    editions = _editions(area, series, component)
    components = sorted({c for e in editions for c in e.release.components})
    component = component or editions[-1].release.components[0]
    if component not in components:
        raise ApiError(
            400, f"component: {component!r} is not in this series (one of: {', '.join(components)})"
        )
    measures = _measures(editions)
    measure = measure or next((m for m in DEFAULT_MEASURES if m in measures), measures[0])
    by_last_word = [m for m in measures if m.endswith(f"-{measure}")]
    if measure not in measures and len(by_last_word) == 1:  # 'score' for the SPI's 'spi-score'
        measure = by_last_word[0]
    if measure not in measures:
        raise ApiError(
            400, f"measure: {measure!r} is not a measure of this series (one of: {', '.join(measures)})"
        )
    imd = any(e.release.builder in ("imd", "imd-summary") for e in editions)
    comparable, comparability = (
        (measure not in NOT_COMPARABLE, IOD_COMPARABILITY) if imd else _by_method(area, editions)
    )
    return {
        **area_ref(code),
        "level": area.level,
        "vintage": area.id,
        "series": editions[-1].release.series,
        "component": component,
        "measure": measure,
        "editions": [_answer(code, area, e, component, measure) for e in editions],
        "comparable_across_editions": comparable,
        "comparability": comparability,
    }


def _by_method(area: Vintage, editions: list[Edition]) -> tuple[bool | None, str]:
    """Whether the editions published on the area's vintage compare: they do when one method scores
    them all."""
    on_area = [e.published for e in editions if e.published is not None and e.published.vintage == area.id]
    methods = {r.method for r in on_area}
    if len(on_area) > 1 and len(methods) == 1 and None not in methods:
        return True, ONE_METHOD.format(method=methods.pop())
    return None, OTHER_COMPARABILITY


def _own_releases() -> list[Release]:
    """This publisher's current releases, by period then edition (a hub's harvested ones are
    another's)."""
    releases = tables().releases()
    own = (r for name, r in releases.items() if name.count("/") == 1)
    return sorted(own, key=lambda r: r.order)


def _editions(area: Vintage, series: str | None, component: str | None) -> list[Edition]:
    """The editions of ``series`` (default: the one series of the area's level with ``component``,
    else the one LSOA series with it). A series summarised from LSOAs runs over the editions of its
    LSOA series, whether or not an edition was summarised on the area's level."""
    own = _own_releases()
    chosen = _named_series(own, series) if series else _default_series(own, area, component)
    by_name = {r.name: r for r in own}
    lsoa_series = next(
        (by_name[r.derived_from].series for r in chosen if r.derived_from in by_name),
        chosen[0].series if chosen[0].level == "lsoa" else None,
    )
    if chosen[0].level != area.level and (lsoa_series is None or area.level == "lsoa"):
        raise ApiError(
            400,
            f"dataset: {chosen[0].series} is a series of {chosen[0].level} areas; a {area.level} area "
            f"takes the history of a series of its own level or of LSOAs",
        )
    if lsoa_series is None or area.level == "lsoa":
        return [
            Edition(r.edition, r if r.level == area.level else None, r if r.level == "lsoa" else None)
            for r in chosen
        ]
    return [
        Edition(
            source.edition,
            next((r for r in own if r.level == area.level and r.derived_from == source.name), None),
            source,
        )
        for source in own
        if source.series == lsoa_series
    ]


def _named_series(own: list[Release], series: str) -> list[Release]:
    if not SERIES.fullmatch(series):
        raise ApiError(400, f"dataset: {series!r} is not the name of a series, e.g. imd-lad")
    chosen = [r for r in own if r.series == series]
    if not chosen:
        raise ApiError(404, f"dataset: no published series {series!r}; see /api/v1/datasets")
    return chosen


def _default_series(own: list[Release], area: Vintage, component: str | None) -> list[Release]:
    with_component = f" with component {component}" if component else ""
    for level in (area.level, "lsoa"):
        candidates = {r.series for r in own if r.level == level and component in (None, *r.components)}
        if len(candidates) == 1:
            return [r for r in own if r.series in candidates]
        if candidates:
            raise ApiError(
                400,
                f"dataset: several series hold {level} areas{with_component}; name one of "
                f"{', '.join(sorted(candidates))}",
            )
    offered = sorted({c for r in own if r.level in (area.level, "lsoa") for c in r.components})
    if component is None or not offered:
        raise ApiError(404, f"no published series holds {area.level} areas or LSOAs")
    raise ApiError(
        400,
        f"component: {component!r} is in no series of {area.level} areas or LSOAs "
        f"(one of: {', '.join(offered)})",
    )


def _measures(editions: list[Edition]) -> list[str]:
    """The measures the editions publish, and the summaries of those summarised from LSOAs."""
    measures = {m for e in editions if e.published for m in e.published.measures}
    if any(e.source is not None and e.published is not e.source for e in editions):
        measures |= set(SUMMARIES)
    return sorted(m for m in measures if not m.startswith("rank-of-"))


def _answer(code: str, area: Vintage, edition: Edition, component: str, measure: str) -> dict:
    published = edition.published
    if not any(component in r.components for r in (published, edition.source) if r):
        return _not_available(edition, f"{edition.release.name} does not publish {component}")
    if published is not None and component in published.components:
        found = tables().dataset(published.name)
        wide = found.wide(component)
        if code in wide.index and measure in wide.columns:
            return _published(code, found, component, measure)
    if area.level == "lsoa":
        return _lsoa_elsewhere(code, edition, component, measure)
    if edition.source is None or edition.source.builder != "imd":
        return _not_available(
            edition,
            f"{edition.edition} is not published on the {_title(area.id)} and has no LSOAs to summarise",
        )
    return _carried(code, area, edition, component, measure)


def _base(release: Release, how: str) -> dict:
    return {
        "edition": release.edition,
        "dataset": release.dataset,
        "period": release.period,
        "geography_vintage": release.vintage,
        "how": how,
    }


def _published(code: str, found, component: str, measure: str) -> dict:
    release, wide = found.release, found.wide(component)
    rank = _rank_column(wide, measure)
    population = wide.at[code, "population"] if "population" in wide.columns else None
    return {
        **_base(release, "published"),
        "value": json_number(wide.at[code, measure], False),
        "rank": json_number(wide.at[code, rank], True) if rank else None,
        "peers": int(release.universe or len(wide)),
        "population": json_number(population, False),
        "observation": found.observation_uri(code, release.period, component, measure),
        "method": release.method,
        "note": f"published in {release.name} on the {_title(release.vintage)}",
    }


def _rank_column(wide: pd.DataFrame, measure: str) -> str | None:
    for column in (f"rank-of-{measure}", "rank" if measure == "score" else ""):
        if column in wide.columns:
            return column
    return None


def _lsoa_elsewhere(code: str, edition: Edition, component: str, measure: str) -> dict:
    """An LSOA that edition was not published on: a part of a split LSOA takes its parent's value; one
    merged from several, or irregularly redrawn, has no single earlier value."""
    places = gazetteer()
    source = edition.release
    if source.vintage in {v.id for v in places.held_by(code)}:
        return _not_available(
            edition, f"{source.name} has no value for {code}, an LSOA of the {_title(source.vintage)}"
        )
    related = [r for r in places.predecessors(code) + places.successors(code) if r.vintage == source.vintage]
    if len(related) == 1 and related[0].relation in ("split", "unchanged"):
        found = tables().dataset(source.name)
        parent = related[0].code
        if parent in found.wide(component).index:
            answer = _published(parent, found, component, measure)
            answer.update(
                how="carried",
                carried_from=area_ref(parent),
                note=f"{code} is a part of {parent}, an LSOA of the {_title(source.vintage)} that was "
                f"split; the value is {parent}'s, shared by all its parts (ONS LSOA change lookup)",
            )
            return answer
    names = ", ".join(f"{r.code} ({r.relation})" for r in related) or "none bundled"
    return _not_available(
        edition,
        f"{code} is not an LSOA of the {_title(source.vintage)} and has no single one there to take a "
        f"value from; its counterparts there by the ONS change lookup: {names}",
    )


def _carried(code: str, area: Vintage, edition: Edition, component: str, measure: str) -> dict:
    source = edition.source
    found = tables().dataset(source.name)
    table, population = found.derived(
        ("summaries", area.id, component), lambda: _summaries_on(found, area, component)
    )
    if code not in table.index or pd.isna(table.at[code, "complete"]):
        return _not_available(
            edition,
            f"{source.name} does not hold every LSOA that makes up {code} once carried to the "
            f"{_title(area.id)}",
        )
    values = table.loc[table["complete"].notna(), measure].dropna()
    ranks = rank_descending(values) if measure != "population" else None
    peers = table["complete"].notna().sum()
    return {
        **_base(source, "carried"),
        "geography_vintage": area.id,
        "computed_from": {"dataset": source.dataset, "geography_vintage": source.vintage},
        "value": json_number(table.at[code, measure], False),
        "rank": json_number(ranks[code], True) if ranks is not None and code in ranks.index else None,
        "peers": int(peers),
        "population": json_number(table.at[code, "population"], False),
        "observation": None,
        "method": minter().method("imd-area-summaries"),
        "population_source": population,
        "note": (
            f"{source.name} is published on the {_title(source.vintage)}, not on the {_title(area.id)}: "
            "its LSOAs were carried to the LSOAs these areas are built from through the ONS LSOA change "
            "lookup (a split LSOA shared among its parts by their population, merged ones taken whole), "
            "assigned to the areas by the ONS best-fit lookup and summarised by the official IoD method, "
            f"weighted by {population['label']}; ranked among the {int(peers)} areas so computed"
        ),
    }


def _title(vintage: str | None) -> str:
    known = gazetteer().vintages.get(vintage or "")
    return f"{known.title[:1].lower()}{known.title[1:]}, {known.id}" if known else f"{vintage} areas"


def _summaries_on(found, area: Vintage, component: str) -> tuple[pd.DataFrame, dict]:
    """The official summaries of ``found`` on every area of ``area``'s vintage; ``complete`` is NaN
    for an area some of whose LSOAs the release lacks (its value would be a part's)."""
    grouping = gazetteer().carried(found.release.vintage or "", area.id)
    table, population = official_summary(found, grouping, component)
    held = grouping["lsoa"].isin(found.wide(component).index)
    complete = held.groupby(grouping["group"]).all()
    table["complete"] = complete.reindex(table.index).where(lambda c: c).astype("float64")
    return table, population


def _not_available(edition: Edition, why: str) -> dict:
    return {**_base(edition.release, "not available"), "value": None, "rank": None, "note": why}
