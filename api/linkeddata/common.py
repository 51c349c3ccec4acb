"""What the dereferencing routes and pages share: the blueprint, the running app's settings, URIs and
published descriptions, and responses (negotiated, cached, with alternates; 404 and 406)."""

from __future__ import annotations

import hashlib
import re

import pyoxigraph as ox
from flask import Blueprint, Response, abort, current_app, render_template, request

from publisher.published import Minter, Release, download_kind, vocabulary_measures

from ..downloads import IMMUTABLE_SECONDS
from ..representations import REPRESENTATIONS

blueprint = Blueprint("linkeddata", __name__)
SHORT_SECONDS = 300
CODE = re.compile(r"^[EWSN]\d{8}$")
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def app_settings():
    return current_app.config["LOCALINDEX_SETTINGS"]


def app_minter() -> Minter:
    return Minter.of(app_settings())


def app_tables():
    return current_app.extensions["localindex_tables"]


def app_described():
    described = current_app.extensions["localindex_described"].current()
    if described is None:
        abort(503, description="nothing is published yet: run `localindex build`")
    return described


def has_ranks(release: Release) -> bool:
    """Whether the release has ranks (so its ranking universe means something on a page)."""
    ranks = {m.notation for m in vocabulary_measures(app_minter().defs).values() if m.rank_of}
    return bool(ranks & set(release.measures))


def respond(iri: str, body: bytes, media_type: str, offered, cacheable_for: int) -> Response:
    response = Response(body, mimetype=media_type.split(";")[0])
    if "charset" in media_type or media_type.startswith("text/"):
        response.mimetype = media_type.split(";")[0]
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = ", ".join(
        [f'<{iri}>; rel="canonical"']
        + [
            f'<{with_suffix(iri, s)}>; rel="alternate"; type="{REPRESENTATIONS[s].media_type}"'
            for s in offered
        ]
    )
    response.set_etag(hashlib.sha256(body).hexdigest()[:40])
    response.cache_control.public = True
    response.cache_control.max_age = cacheable_for
    if cacheable_for == IMMUTABLE_SECONDS:
        response.cache_control.immutable = True
    return response.make_conditional(request)


def immutable_for(iri: str, releases: dict[str, tuple[Release, bool]]) -> int:
    """A year for what lies inside a revision (observations, structure, area list); minutes otherwise."""
    owner = owner_of(iri, releases)
    return IMMUTABLE_SECONDS if owner and iri != owner[0].dataset else SHORT_SECONDS


def owner_of(iri: str, releases: dict[str, tuple[Release, bool]]) -> tuple[Release, bool] | None:
    """The revision whose URI space holds ``iri`` (the longest matching dataset URI), if any."""
    best = None
    for dataset, entry in releases.items():
        if (iri == dataset or iri.startswith(dataset + "/")) and (
            best is None or len(dataset) > len(best[0])
        ):
            best = (dataset, entry)
    return best[1] if best else None


def with_suffix(iri: str, suffix: str | None) -> str:
    return f"{iri}.{suffix}" if suffix else iri


def not_acceptable(iri: str, offered, suffix: str | None) -> Response:
    if suffix is not None:
        return not_found(f"{iri}.{suffix}", "html", f"{iri} has no {suffix.upper()} representation")
    types = ", ".join(REPRESENTATIONS[s].media_type for s in offered)
    return Response(f"406 Not Acceptable: {iri} is available as {types}\n", 406, mimetype="text/plain")


def not_found(iri: str, suffix: str, suggestion: str | None = None) -> Response:
    """404 that names what was not found and links the nearest resource that exists."""
    minter, described = app_minter(), current_app.extensions["localindex_described"].current()
    nearest = None
    path = iri[len(minter.base) :] if iri.startswith(minter.base) else ""
    parts = [p for p in path.split("/") if p][:-1]
    while parts and described is not None:
        candidate = minter.base + "/".join(parts)
        if described.exists(candidate):
            nearest = {"href": candidate, "label": described.labels([candidate]).get(candidate, candidate)}
            break
        parts.pop()
    nearest = nearest or {"href": minter.base, "label": "the localindex home page"}
    if suffix == "html":
        html = render_template("not_found.html", what=iri, nearest=nearest, suggestion=suggestion)
        response = Response(html, 404, mimetype="text/html")
    else:
        text = f"404 Not Found: nothing is published at {iri}\nNearest existing resource: {nearest['href']}\n"
        response = Response(text, 404, mimetype="text/plain")
    response.headers["Link"] = f'<{nearest["href"]}>; rel="up"'
    response.headers["Vary"] = "Accept"
    return response


def alternates(iri: str, offered) -> list[dict]:
    return [
        {
            "label": REPRESENTATIONS[s].label,
            "href": with_suffix(iri, s),
            "media_type": REPRESENTATIONS[s].media_type,
        }
        for s in offered
        if s != "html"
    ]


def iris_of(triples) -> set[str]:
    found = set()
    for triple in triples:
        for node in (triple.subject, triple.predicate, triple.object):
            if isinstance(node, ox.NamedNode):
                found.add(node.value)
    return found


def media_type_of(filename: str) -> str:
    """A release file's media type, for people: '(gzip)' where the file is compressed."""
    media_type = download_kind(filename).media_type
    return f"{media_type} (gzip)" if filename.endswith(".gz") else media_type
