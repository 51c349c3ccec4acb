"""/api/v1/search?q=: areas of every bundled vintage by name or code, ranked for people
(publisher/inputs/search.py), each with its kind, vintage, district, whether it is current and, where
a name it no longer has is what matched, that name. Paged by ``page`` and ``limit``, with absolute
``next`` and ``Link`` as /api/v1/observations, so a name shared by many areas can be read to the end."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import jsonify, request

from publisher.published import MAX_SEARCH_CHARS, SEARCH_TIERS, area_uri, gazetteer, search_index

from .common import ApiError, blueprint, integer_parameter, link_header, minter

MAX_RESULTS = 50
MAX_PAGE = 10**9


def found_areas(query: str, limit: int, page: int = 1) -> tuple[list[dict], bool]:
    """Page ``page`` of the areas matching ``query``, best first, as the API and the search page show
    them, and whether another page follows."""
    places = gazetteer()
    base = minter().base
    found, more = search_index().search(query, limit, (page - 1) * limit)
    return [
        {
            "code": f.entry.code,
            "name": f.entry.name,
            "level": f.entry.level,
            "vintage": f.entry.vintage,
            "vintage_title": places.vintages[f.entry.vintage].title,
            "current": f.entry.current,
            "district": {"code": f.entry.district, "name": places.name(f.entry.district)}
            if f.entry.district
            else None,
            "former_name": {
                "name": f.former.name,
                "vintage": f.former.vintage,
                "vintage_title": places.vintages[f.former.vintage].title,
            }
            if f.former
            else None,
            "match": SEARCH_TIERS[f.tier],
            "uri": area_uri(f.entry.code),
            "page": f"{base}area/{f.entry.code}",
        }
        for f in found
    ], more


def page_links(here: str, page: int, more: bool) -> dict[str, str]:
    """The previous and next pages of the same search, under ``here``."""
    pages = (("prev", page - 1 if page > 1 else None), ("next", page + 1 if more else None))
    return {
        relation: f"{here}?{urlencode({**request.args.to_dict(), 'page': number})}"
        for relation, number in pages
        if number is not None
    }


def checked_query(raw: str | None) -> str:
    query = (raw or "").strip()
    if not query:
        raise ApiError(400, "q: required, a name or code, e.g. q=Barking or q=E09000002")
    if len(query) > MAX_SEARCH_CHARS:
        raise ApiError(400, f"q: {len(query):,} characters; at most {MAX_SEARCH_CHARS}")
    if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in query):
        raise ApiError(400, "q: control characters are not part of any name")
    return query


@blueprint.get("/search")
def search():
    query = checked_query(request.args.get("q"))
    limit = integer_parameter("limit", 10, 1, MAX_RESULTS)
    page = integer_parameter("page", 1, 1, MAX_PAGE)
    results, more = found_areas(query, limit, page)
    links = page_links(f"{minter().base}api/v1/search", page, more)
    response = jsonify(
        {
            "q": query,
            "page": page,
            "limit": limit,
            "count": len(results),
            "next": links.get("next"),
            "results": results,
        }
    )
    if links:
        response.headers["Link"] = link_header(links)
    return response
