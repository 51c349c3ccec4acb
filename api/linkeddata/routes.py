"""The dereferencing routes: /data/, /def/, /id/, /graph/, the catalogue and VoID (area pages: area.py)."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Response, redirect, request, send_file

from publisher.published import Release, latest_edition, void_description

from ..downloads import IMMUTABLE_SECONDS, release_files
from ..pages import (
    PREFIXES,
    Labeller,
)
from ..representations import RDF_SUFFIXES, choose, serialize, split_suffix
from .common import (
    SHORT_SECONDS,
    app_described,
    app_minter,
    blueprint,
    immutable_for,
    iris_of,
    not_acceptable,
    not_found,
    owner_of,
    respond,
    with_suffix,
)
from .html import dataset_page, observation_page, resource_html, resource_page


@blueprint.route("/data/<path:path>")
@blueprint.route("/def/<path:path>", endpoint="definitions")
@blueprint.route("/id/<path:path>", endpoint="identifiers")
def dereference(path: str):
    prefix = request.path.lstrip("/").split("/", 1)[0]
    path, suffix = split_suffix(f"{prefix}/{path}")
    minter, described = app_minter(), app_described()
    parts = path.split("/")
    if prefix == "def" and minter.defs != minter.base:  # shared definitions are served where they live
        return redirect(with_suffix(minter.defs + path, suffix), code=301)
    if prefix == "data" and len(parts) == 3 and parts[2] == "latest":
        return _latest(parts[1], suffix)
    if prefix == "data" and len(parts) == 5 and parts[3] == "revision" and parts[4] == "1":
        edition = minter.edition(parts[1], parts[2])  # revision 1 is the edition itself
        return redirect(with_suffix(edition, suffix), code=301)
    iri = minter.base + path
    releases = described.snapshot.by_dataset()
    release = releases.get(iri)
    offered = (*RDF_SUFFIXES, "csv") if release else RDF_SUFFIXES
    representation = choose(suffix, request.accept_mimetypes, offered)
    if representation is None:
        return not_acceptable(iri, offered, suffix)
    triples = described.triples(iri)
    if not triples:
        return not_found(iri, representation.suffix)
    if representation.suffix == "csv":
        return _dataset_csv(iri, release[0])
    if representation.suffix != "html":
        body = serialize(triples, representation, PREFIXES)
        return respond(iri, body, representation.media_type, offered, immutable_for(iri, releases))
    owner = owner_of(iri, releases)
    labeller = Labeller(minter, described.labels(iris_of(triples)))
    if release:
        html = dataset_page(iri, triples, labeller, *release)
    elif owner and "/obs/" in iri:
        html = observation_page(iri, triples, labeller, *owner)
    else:
        html = resource_page(iri, triples, labeller, owner, described)
    return respond(iri, html.encode(), "text/html; charset=utf-8", offered, cacheable_for=SHORT_SECONDS)


@blueprint.route("/graph/<path:path>")
def graph(path: str):
    """A named graph's name: 303 See Other to the revision it holds."""
    iri = app_minter().base + "graph/" + path
    for dataset, (release, _) in app_described().snapshot.by_dataset().items():
        if release.graph == iri:
            return redirect(dataset, code=303)
    if iri in app_described().snapshot.graphs:
        return redirect(app_minter().catalog, code=303)
    return not_found(iri, "html")


@blueprint.route("/catalog", defaults={"suffix": None})
@blueprint.route("/catalog.<suffix>")
def catalog(suffix: str | None):
    if suffix is not None and suffix not in RDF_SUFFIXES:
        return not_found(app_minter().catalog + "." + suffix, "html")
    representation = choose(suffix, request.accept_mimetypes, RDF_SUFFIXES)
    if representation is None:
        return not_acceptable(app_minter().catalog, RDF_SUFFIXES, suffix)
    described = app_described()
    graph = ox.NamedNode(app_minter().catalog_graph)
    triples = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in described.store.quads_for_pattern(None, None, None, graph)
    ]
    if representation.suffix != "html":
        body = serialize(triples, representation, PREFIXES)
        return respond(app_minter().catalog, body, representation.media_type, RDF_SUFFIXES, SHORT_SECONDS)
    return resource_html(app_minter().catalog, triples, described)


@blueprint.route("/.well-known/void", defaults={"suffix": None})
@blueprint.route("/.well-known/void.<suffix>")
def void(suffix: str | None):
    """VoID: made from the same registry state, by the same function, as the catalogue graph's VoID."""
    minter = app_minter()
    if suffix is not None and suffix not in RDF_SUFFIXES:
        return not_found(minter.void + "." + suffix, "html")
    representation = choose(suffix, request.accept_mimetypes, RDF_SUFFIXES[1:] + ("html",))
    if representation is None:
        return not_acceptable(minter.void, RDF_SUFFIXES, suffix)
    graph = void_description(app_described().snapshot, minter)
    triples = list(ox.parse(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES))
    if representation.suffix == "html":
        return resource_html(minter.void, triples, app_described())
    body = serialize(triples, representation, PREFIXES)
    return respond(minter.void, body, representation.media_type, RDF_SUFFIXES, SHORT_SECONDS)


def _dataset_csv(iri: str, release: Release) -> Response:
    path = release.directory / f"{release.stem}.csv"
    if path.name not in release_files(path.parent):
        return not_found(iri, "html")
    response = send_file(path, mimetype="text/csv", conditional=True, etag=True)
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = f'<{iri}>; rel="canonical"'
    response.cache_control.public = True
    response.cache_control.max_age = IMMUTABLE_SECONDS
    return response


def _latest(series: str, suffix: str | None) -> Response:
    release = latest_edition(app_described().snapshot, series)
    if release is None:
        return not_found(app_minter().latest(series), suffix or "html")
    response = redirect(with_suffix(release.dataset, suffix), code=302)
    response.headers["Cache-Control"] = "no-cache"
    return response
