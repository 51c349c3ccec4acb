"""/area/<code>: an area in words for a resident, a councillor or a charity, on every bundled vintage
of the geography (publisher/inputs/gazetteer.py): what kind of area it is and when its code was in
use, what it became or came from, what it is part of and what lies in it, its scorecards, a chart of
its relative position across editions of the Indices beside its district's and region's, and the
values of the areas around it."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import redirect, render_template, request

from publisher.published import GEOGRAPHY, MAX_SEARCH_CHARS, Gazetteer, Related, Vintage, gazetteer

from ..citation import cite
from ..pages import PREFIXES, area_rows, number_text
from ..representations import RDF_SUFFIXES, choose, serialize, split_suffix
from ..rest.common import ApiError
from ..rest.history import history_of
from ..scorecards import scorecard
from .common import (
    CODE,
    SHORT_SECONDS,
    app_described,
    app_minter,
    app_settings,
    app_tables,
    blueprint,
    has_ranks,
    not_acceptable,
    not_found,
    respond,
)

LEVEL_WORDS = {
    "lsoa": "lower layer super output area (LSOA), a small neighbourhood of about 1,500 people",
    "msoa": "middle layer super output area (MSOA)",
    "ward": "electoral ward",
    "lad": "local authority district",
    "region": "region of England",
    "icb": "integrated care board (ICB) area",
    "sub-icb": "sub-ICB location",
    "stp": "sustainability and transformation partnership (STP) area",
    "ccg": "clinical commissioning group (CCG) area",
    "pcon": "Westminster parliamentary constituency",
}
RELATION_WORDS = {
    "split": "split into several, among them",
    "merged": "merged with others into",
    "irregular": "redrawn irregularly; its nearest counterpart is",
    "unchanged": "unchanged as",
}
PRODUCER = (
    "The English Indices of Deprivation are produced by the Ministry of Housing, Communities and Local "
    "Government (MHCLG; the Department for Communities and Local Government for 2015). localindex "
    "republishes them as linked data and derives the area summaries it states as derived."
)
CHARTED = ("lad", "region")
TERMS = {
    f"{prefix}:{name}": ox.NamedNode(PREFIXES[prefix] + name)
    for prefix, name in [
        ("foaf", "primaryTopic"),
        ("foaf", "page"),
        ("rdfs", "label"),
        ("rdfs", "seeAlso"),
        ("dct", "isPartOf"),
        ("dct", "hasPart"),
        ("dct", "isReplacedBy"),
        ("dct", "replaces"),
    ]
}


@blueprint.route("/area/<code>")
def area(code: str):
    """The area's page: words, scorecards, chart, children and neighbours; as RDF, what it says of the
    area (its name, what holds it, what it holds, what it replaced or became) and the datasets on it."""
    minter = app_minter()
    code, suffix = split_suffix(code)
    page = minter.base + "area/" + code
    if not CODE.fullmatch(code):
        if suffix is None and code.strip() and len(code) <= MAX_SEARCH_CHARS and code.isprintable():
            return redirect("/search?" + urlencode({"q": code}), code=302)  # /area/Gascoigne: a name
        return not_found(page, suffix or "html")
    places = gazetteer()
    held = places.held_by(code)
    if not held:
        return not_found(page, suffix or "html")
    representation = choose(suffix, request.accept_mimetypes, RDF_SUFFIXES)
    if representation is None:
        return not_acceptable(page, RDF_SUFFIXES, suffix)
    if representation.suffix != "html":
        body = serialize(_triples(code, page, places, held), representation, PREFIXES)
        return respond(page, body, representation.media_type, RDF_SUFFIXES, SHORT_SECONDS)
    view = describe(code, places, held)
    datasets = _datasets(code, {v.id for v in held})
    chart = _chart(code, places)
    cited = [d["cite"] for d in datasets]
    html = render_template(
        "area.html",
        area=view,
        datasets=datasets,
        chart=chart,
        neighbours=_neighbours(code, places, held[-1]),
        cite=cited[0] if cited else cite(page, f"{view['label']} ({code})", app_settings().publisher_name),
        citations=cited[1:],
        producer=PRODUCER if any(d["imd"] for d in datasets) else "",
        map_href=_map_href(code, places, held[-1], datasets),
    )
    return respond(page, html.encode(), "text/html; charset=utf-8", RDF_SUFFIXES, SHORT_SECONDS)


def _triples(code: str, page: str, places: Gazetteer, held: list[Vintage]) -> list[ox.Triple]:
    """The page as RDF: the page is about the ONS area, which is named, part of its parents, holds its
    children and replaced or became others; the datasets with values for it are seen also."""
    area = ox.NamedNode(GEOGRAPHY + code)
    triples = [
        ox.Triple(ox.NamedNode(page), TERMS["foaf:primaryTopic"], area),
        ox.Triple(area, TERMS["rdfs:label"], ox.Literal(places.name(code) or code)),
        ox.Triple(area, TERMS["foaf:page"], ox.NamedNode(page)),
    ]
    triples += [
        ox.Triple(area, TERMS["dct:isPartOf"], ox.NamedNode(GEOGRAPHY + c))
        for c in _holding(code, places).values()
    ]
    triples += [
        ox.Triple(area, TERMS["dct:hasPart"], ox.NamedNode(GEOGRAPHY + c))
        for codes in places.children(code).values()
        for c in codes
    ]
    triples += [
        ox.Triple(area, TERMS["dct:isReplacedBy"], ox.NamedNode(GEOGRAPHY + r.code))
        for r in places.successors(code)
    ]
    triples += [
        ox.Triple(area, TERMS["dct:replaces"], ox.NamedNode(GEOGRAPHY + r.code))
        for r in places.predecessors(code)
    ]
    tables = app_tables()
    vintages = {v.id for v in held}
    triples += [
        ox.Triple(area, TERMS["rdfs:seeAlso"], ox.NamedNode(release.dataset))
        for name, release in sorted(tables.releases().items())
        if release.vintage in vintages and not tables.dataset(name).rows_of([code]).empty
    ]
    return list(dict.fromkeys(triples))


def describe(code: str, places: Gazetteer, held: list[Vintage]) -> dict:
    """What the page says about the area itself, in words."""
    latest = held[-1]
    start, _ = places.in_use(code, held[0])
    _, until = places.in_use(code, latest)
    latest_of_kind = places.of_level(latest.level)[-1]
    return {
        "code": code,
        "uri": GEOGRAPHY + code,
        "label": places.name(code) or code,
        "kind": LEVEL_WORDS.get(latest.level, latest.level),
        "vintages": [v.title for v in held],
        "from": _month(start),
        "until": _month(until) if until else None,
        "current": until is None,
        "latest_of_kind": latest_of_kind.title,
        "successors": [_related(r, places) for r in places.successors(code)],
        "predecessors": [_related(r, places) for r in places.predecessors(code)],
        "parents": _parents(code, places),
        "children": _children(code, places),
    }


def _month(day: date) -> str:
    return day.strftime("%B %Y")


def _related(related: Related, places: Gazetteer) -> dict:
    how = (
        f"{related.share:.0%} of its LSOAs (best fit, approximate)"
        if related.relation == "overlap"
        else RELATION_WORDS.get(related.relation, related.relation) + " (ONS LSOA change lookup)"
    )
    return {
        "code": related.code,
        "label": places.name(related.code) or related.code,
        "vintage": places.vintages[related.vintage].title,
        "how": how,
    }


def _parents(code: str, places: Gazetteer) -> list[dict]:
    """The area that holds it in the latest vintage of each kind, smallest first."""
    parents = _holding(code, places)
    return [
        {
            "code": parents[v.id],
            "label": places.name(parents[v.id]) or parents[v.id],
            "kind": LEVEL_WORDS.get(v.level, v.level),
            "vintage": v.title,
        }
        for v in _latest_of_each_kind(places, parents)
    ]


def _holding(code: str, places: Gazetteer) -> dict[str, str]:
    """Vintage → the area that holds ``code``; where no lookup names its region (2025 wards are looked
    up to districts only), the region of its LSOAs, in which a ward or district lies whole."""
    parents = places.parents(code)
    if not any(places.vintages[v].level == "region" for v in parents):
        for lsoas in places.lsoas_in(code).values():
            found = places.parents(min(lsoas)) if lsoas else {}
            parents |= {v: c for v, c in found.items() if places.vintages[v].level == "region"}
    return parents


def _latest_of_each_kind(places: Gazetteer, vintages) -> list[Vintage]:
    """Of ``vintages`` (ids), the latest of each level, from the smallest kind of area to the largest."""
    latest: dict[str, Vintage] = {}
    for vintage_id in vintages:
        vintage = places.vintages[vintage_id]
        if vintage.level not in latest or vintage.date > latest[vintage.level].date:
            latest[vintage.level] = vintage
    order = list(LEVEL_WORDS)
    return sorted(latest.values(), key=lambda v: order.index(v.level) if v.level in order else len(order))


def _children(code: str, places: Gazetteer) -> list[dict]:
    """The areas directly inside it, in the latest vintage of each kind, largest kind first."""
    children = places.children(code)
    return [
        {
            "title": v.title,
            "areas": sorted(
                ({"code": c, "label": places.name(c) or c} for c in children[v.id]), key=lambda a: a["label"]
            ),
        }
        for v in reversed(_latest_of_each_kind(places, children))
    ]


def _datasets(code: str, vintages: set[str]) -> list[dict]:
    """Every current dataset on one of the area's vintages that has a value for it."""
    tables = app_tables()
    minter, described = app_minter(), app_described()
    shown = []
    for name, release in sorted(tables.releases().items(), key=lambda item: item[1].edition, reverse=True):
        if release.vintage not in vintages:
            continue
        rows = tables.dataset(name).rows_of([code])
        if rows.empty:
            continue
        iris = {minter.measure(m) for m in release.measures}
        iris |= {minter.concept(release.component_scheme, c) for c in release.components}
        labels = described.labels(iris)
        shown.append(
            {
                "card": scorecard(code, name, tables, minter, described.labels),
                "title": release.title,
                "href": release.dataset,
                "name": name,
                "period": release.period,
                "rank_direction": release.rank_direction,
                "universe": release.universe if has_ranks(release) else None,
                "rows": area_rows(rows, release, minter, labels),
                "imd": release.builder in ("imd", "imd-summary"),
                "cite": cite(release.dataset, release.title or name, app_settings().publisher_name),
            }
        )
    return shown


def _position(code: str) -> dict | None:
    """The area's IMD position in each edition, as the share of England's areas of its kind that are
    more deprived (0 % = the most deprived): ranks compare across editions, scores do not."""
    try:
        found = history_of(code, None, "imd", None)
    except ApiError:
        return None
    points = [
        {
            "edition": e["edition"],
            "rank": e["rank"],
            "peers": e["peers"],
            "percent": round(100 * (e["rank"] - 1) / max(1, e["peers"] - 1), 1),
            "how": e["how"],
        }
        for e in found["editions"]
        if e.get("rank") is not None and e.get("peers")
    ]
    return {"code": code, "label": found["label"], "points": points} if points else None


def _chart(code: str, places: Gazetteer) -> dict | None:
    """The area's position across editions beside its district's and region's."""
    mine = _position(code)
    if mine is None:
        return None
    lines = [mine]
    parents = _holding(code, places)
    for level in CHARTED:
        vintages = [v for v in places.of_level(level) if v.id in parents]
        if vintages and parents[vintages[-1].id] != code:
            found = _position(parents[vintages[-1].id])
            if found:
                lines.append(found)
    editions = sorted({p["edition"] for line in lines for p in line["points"]})
    return {"editions": editions, "lines": lines}


def _neighbours(code: str, places: Gazetteer, vintage: Vintage) -> dict | None:
    """The other areas of its kind in its district (a district's: in its region), with their IMD
    values in the latest edition on this vintage, so a reader sees where the area stands locally."""
    parent_level = "region" if vintage.level == "lad" else "lad"
    parents = places.parents(code)
    around = [v for v in places.of_level(parent_level) if v.id in parents]
    if not around:
        return None
    parent = parents[around[-1].id]
    tables = app_tables()
    for name, release in sorted(tables.releases().items(), key=lambda item: item[1].edition, reverse=True):
        if release.vintage != vintage.id or "imd" not in release.components or name.count("/") != 1:
            continue
        wide = tables.dataset(name).wide("imd")
        measure = "average-score" if "average-score" in wide.columns else "score"
        rank = "rank-of-average-score" if measure == "average-score" else "rank"
        siblings = sorted(places.inside(parent, vintage.id) & set(wide.index))
        if len(siblings) < 2 or measure not in wide.columns:
            return None
        rows = [
            {
                "code": c,
                "label": places.name(c) or c,
                "value": number_text(wide.at[c, measure], ""),
                "rank": int(wide.at[c, rank]) if rank in wide.columns else None,
                "self": c == code,
            }
            for c in siblings
        ]
        return {
            "parent": {"code": parent, "label": places.name(parent) or parent},
            "dataset": name,
            "href": release.dataset,
            "universe": release.universe,
            "measure": measure.replace("-", " "),
            "rows": sorted(rows, key=lambda r: (r["rank"] is None, r["rank"])),
        }
    return None


def _map_href(code: str, places: Gazetteer, vintage: Vintage, datasets: list[dict]) -> str:
    """The map of the area's district (of the area itself if it is a district or larger), drawing the
    newest dataset shown on the page."""
    parents = places.parents(code)
    districts = [v for v in places.of_level("lad") if v.id in parents]
    around = code if vintage.level in ("lad", "region", "icb") or not districts else parents[districts[-1].id]
    dataset = f"dataset={datasets[0]['name']}&" if datasets else ""
    return f"/map?{dataset}within={around}"
