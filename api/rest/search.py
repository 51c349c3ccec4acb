"""/api/v1/search?q=: areas of every bundled vintage by name or code, ranked for people
(publisher/inputs/search.py), each with its kind, vintage, district and whether it is current."""

from __future__ import annotations

from flask import jsonify, request

from publisher.published import MAX_SEARCH_CHARS, area_uri, gazetteer, search_index

from .common import ApiError, blueprint, minter

MAX_RESULTS = 50


def found_areas(query: str, limit: int) -> list[dict]:
    """The areas matching ``query``, best first, as the API and the search page show them."""
    places = gazetteer()
    base = minter().base
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
            "match": ("code", "name", "words", "near words")[f.tier],
            "uri": area_uri(f.entry.code),
            "page": f"{base}area/{f.entry.code}",
        }
        for f in search_index().search(query, limit)
    ]


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
    raw = request.args.get("limit", "10")
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_RESULTS:
        raise ApiError(400, f"limit: {raw!r} is not a whole number from 1 to {MAX_RESULTS}")
    results = found_areas(query, int(raw))
    return jsonify({"q": query, "count": len(results), "results": results})
