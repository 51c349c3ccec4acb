"""/search?q=: the search page, which works without JavaScript; the box on every page suggests areas
as one types (static/search.js, over /api/v1/search). A retired area is explained and its successors
linked, and an area found by a former name says so, so a name from an old report still leads
somewhere current. Paged as the API is, for names that many areas share."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from publisher.published import gazetteer

from .rest.common import ApiError, integer_parameter
from .rest.search import MAX_PAGE, checked_query, found_areas, page_links

blueprint = Blueprint("search", __name__)
PAGE_RESULTS = 30


@blueprint.route("/search")
def search_page():
    raw = request.args.get("q", "")
    if not raw.strip():
        return render_template("search.html", q="", results=None, error=None)
    try:
        query = checked_query(raw)
        page = integer_parameter("page", 1, 1, MAX_PAGE)
    except ApiError as error:
        return render_template("search.html", q="", results=None, error=error.message), 400
    places = gazetteer()
    results, more = found_areas(query, PAGE_RESULTS, page)
    for result in results:
        if not result["current"]:
            result["successors"] = [
                {
                    "code": r.code,
                    "name": places.name(r.code) or r.code,
                    "share": r.share,
                    "relation": r.relation,
                }
                for r in places.successors(result["code"])
            ]
    return render_template(
        "search.html",
        q=query,
        results=results,
        first=(page - 1) * PAGE_RESULTS + 1,
        links=page_links("/search", page, more),
        error=None,
    )
