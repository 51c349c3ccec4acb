"""Dereferencing: every URI localindex mints answers with HTML, Turtle, JSON-LD or N-Triples.

All URIs answer 200 directly (no /id/ → 303 → /doc/ indirection): the description of a thing is
served at the thing's URI, and each representation also has its own URL with a suffix. Responses
carry ``Vary: Accept``, ``Link: rel=alternate`` for every representation, a strong ETag (304 on a
matching conditional GET) and Cache-Control: a revision's observations, structure and area list
never change, so their RDF is cacheable for a year; pages that also show catalogue state (which
revision is current) are cacheable for minutes.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, send_file

from publisher.inputs.boundaries import LEVELS as BOUNDARY_LEVELS
from publisher.inputs.boundaries import boundaries
from publisher.inputs.publishers import publisher_of
from publisher.rdf.catalog import latest_release, void_graph
from publisher.rdf.uris import GEOGRAPHY, Minter
from publisher.rdf.vocab import measures as vocabulary_measures

from .citation import cite
from .downloads import IMMUTABLE_SECONDS, download_urls, release_files
from .maps import embed_snippet
from .pages import (
    PREFIXES,
    Labeller,
    area_rows,
    cite_release,
    level_label,
    literal,
    objects,
    properties,
    resource_view,
    words,
)
from .representations import RDF_SUFFIXES, REPRESENTATIONS, choose, split_suffix
from .scorecards import headline, scorecard

blueprint = Blueprint("linkeddata", __name__)
SHORT_SECONDS = 300
CODE = re.compile(r"^[EWSN]\d{8}$")
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def _settings():
    return current_app.config["LOCALINDEX_SETTINGS"]


def _minter() -> Minter:
    return Minter.of(_settings())


def _described():
    described = current_app.extensions["localindex_described"].current()
    if described is None:
        abort(503, description="nothing is published yet: run `localindex build`")
    return described


def _ranked(release: dict) -> bool:
    """Whether the release has ranks (so its ranking universe means something on a page)."""
    ranks = {m.notation for m in vocabulary_measures(_minter().defs).values() if m.rank_of}
    return bool(ranks & set(release.get("measures", [])))


def _releases_by_dataset(snapshot) -> dict[str, tuple[str, dict, bool]]:
    """Dataset URI of every revision → (edition name, its record, whether it is current)."""
    found = {}
    for name, release in snapshot.releases.items():
        found[release["dataset"]] = (name, release, True)
        for old in release.get("history", []):
            found[old["dataset"]] = (name, {**old, "history": []}, False)
    return found


@blueprint.route("/data/<path:path>")
@blueprint.route("/def/<path:path>", endpoint="definitions")
@blueprint.route("/id/<path:path>", endpoint="identifiers")
def dereference(path: str):
    prefix = request.path.lstrip("/").split("/", 1)[0]
    path, suffix = split_suffix(f"{prefix}/{path}")
    minter, described = _minter(), _described()
    parts = path.split("/")
    if prefix == "def" and minter.defs != minter.base:  # shared definitions are served where they live
        return redirect(_with_suffix(minter.defs + path, suffix), code=301)
    if prefix == "data" and len(parts) == 3 and parts[2] == "latest":
        return _latest(parts[1], suffix)
    if prefix == "data" and len(parts) == 5 and parts[3] == "revision" and parts[4] == "1":
        edition = minter.edition(parts[1], parts[2])  # revision 1 is the edition itself
        return redirect(_with_suffix(edition, suffix), code=301)
    iri = minter.base + path
    releases = _releases_by_dataset(described.snapshot)
    release = releases.get(iri)
    offered = (*RDF_SUFFIXES, "csv") if release else RDF_SUFFIXES
    representation = choose(suffix, request.accept_mimetypes, offered)
    if representation is None:
        return _not_acceptable(iri, offered, suffix)
    triples = described.triples(iri)
    if not triples:
        return not_found(iri, representation.suffix)
    if representation.suffix == "csv":
        return _dataset_csv(iri, release[1])
    if representation.suffix != "html":
        body = ox.serialize(triples, format=representation.rdf_format, prefixes=PREFIXES)
        return _respond(iri, body, representation.media_type, offered, _immutable(iri, releases))
    owner = _owner(iri, releases)
    labeller = Labeller(minter, described.labels(_iris(triples)))
    if release:
        html = _dataset_page(iri, triples, labeller, *release)
    elif owner and "/obs/" in iri:
        html = _observation_page(iri, triples, labeller, *owner)
    else:
        html = _resource_page(iri, triples, labeller, owner, described)
    return _respond(iri, html.encode(), "text/html; charset=utf-8", offered, cacheable_for=SHORT_SECONDS)


@blueprint.route("/graph/<path:path>")
def graph(path: str):
    """A named graph's name: 303 See Other to the revision it holds."""
    iri = _minter().base + "graph/" + path
    for dataset, (_, release, _) in _releases_by_dataset(_described().snapshot).items():
        if release["graph"] == iri:
            return redirect(dataset, code=303)
    if iri in _described().snapshot.graphs:
        return redirect(_minter().catalog, code=303)
    return not_found(iri, "html")


@blueprint.route("/catalog", defaults={"suffix": None})
@blueprint.route("/catalog.<suffix>")
def catalog(suffix: str | None):
    if suffix is not None and suffix not in RDF_SUFFIXES:
        return not_found(_minter().catalog + "." + suffix, "html")
    representation = choose(suffix, request.accept_mimetypes, RDF_SUFFIXES)
    if representation is None:
        return _not_acceptable(_minter().catalog, RDF_SUFFIXES, suffix)
    described = _described()
    graph = ox.NamedNode(_minter().catalog_graph)
    triples = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in described.store.quads_for_pattern(None, None, None, graph)
    ]
    if representation.suffix != "html":
        body = ox.serialize(triples, format=representation.rdf_format, prefixes=PREFIXES)
        return _respond(_minter().catalog, body, representation.media_type, RDF_SUFFIXES, SHORT_SECONDS)
    return _resource_html(_minter().catalog, triples, described)


@blueprint.route("/.well-known/void", defaults={"suffix": None})
@blueprint.route("/.well-known/void.<suffix>")
def void(suffix: str | None):
    """VoID: made from the same registry state, by the same function, as the catalogue graph's VoID."""
    minter = _minter()
    if suffix is not None and suffix not in RDF_SUFFIXES:
        return not_found(minter.void + "." + suffix, "html")
    representation = choose(suffix, request.accept_mimetypes, RDF_SUFFIXES[1:] + ("html",))
    if representation is None:
        return _not_acceptable(minter.void, RDF_SUFFIXES, suffix)
    graph = void_graph(_described().snapshot.releases, minter)
    triples = list(ox.parse(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES))
    if representation.suffix == "html":
        return _resource_html(minter.void, triples, _described())
    body = ox.serialize(triples, format=representation.rdf_format, prefixes=PREFIXES)
    return _respond(minter.void, body, representation.media_type, RDF_SUFFIXES, SHORT_SECONDS)


@blueprint.route("/area/<code>")
def area(code: str):
    """The area's scorecard: every current dataset's values, ranks, deciles, change and rating in words."""
    code, _ = split_suffix(code)
    if not CODE.fullmatch(code):
        return not_found(_minter().base + "area/" + code, "html")
    tables = current_app.extensions["localindex_tables"]
    geography = tables.geography
    level = geography.level_of(code)
    if level is None:
        return not_found(_minter().base + "area/" + code, "html")
    minter, described = _minter(), _described()
    datasets = []
    for name, release in sorted(tables.releases().items()):  # a hub's harvested releases too
        if release.get("level") != level:
            continue
        rows = tables.dataset(name).rows_of([code])
        if rows.empty:
            continue
        iris = {minter.measure(m) for m in release["measures"]}
        iris |= {minter.concept(release.get("component_scheme", ""), c) for c in release["components"]}
        labels = described.labels(iris)
        datasets.append(
            {
                "card": scorecard(code, name, tables, minter, described.labels),
                "title": release["title"],
                "href": release["dataset"],
                "name": name,
                "period": release["period"],
                "rank_direction": release.get("rank_direction", ""),
                "universe": release["universe"] if _ranked(release) else None,
                "rows": area_rows(rows, release, minter, labels),
            }
        )
    parents = list(geography.parents(code).values())
    labeller = Labeller(minter, {GEOGRAPHY + c: geography.names.get(c, c) for c in [code, *parents]})
    view = {
        "code": code,
        "uri": GEOGRAPHY + code,
        "label": geography.names.get(code, code),
        "level_label": level_label(code),
        "parents": [labeller.term(GEOGRAPHY + parent) for parent in parents],
    }
    page = minter.base + "area/" + code
    citation = cite(page, f"Indices for {view['label']} ({code})", _settings().publisher_name)
    around = code if level in ("lad", "region") else geography.parents(code).get("LAD19", code)
    html = render_template(
        "area.html", area=view, datasets=datasets, cite=citation, map_href=f"/map?within={around}"
    )
    return _respond(page, html.encode(), "text/html; charset=utf-8", ("html",), SHORT_SECONDS)


# --- pages ---------------------------------------------------------------------------------------


def _dataset_page(iri: str, triples, labeller: Labeller, name: str, release: dict, current: bool) -> str:
    minter = _minter()
    everything = _described().snapshot.releases[name]
    records = [*everything.get("history", []), {**everything, "history": []}]
    by_dataset = {r["dataset"]: r for r in records}
    structure = release["structure"]
    structure_triples = _described().triples(structure)
    component_specs = objects(structure_triples, structure, PREFIXES["qb"] + "component")
    spec_triples = [t for spec in component_specs for t in _described().triples(spec)]
    labeller.known.update(_described().labels(_iris(spec_triples)))

    def component_terms(kind: str):
        return [
            labeller.term(o)
            for spec in component_specs
            for o in objects(spec_triples, spec, PREFIXES["qb"] + kind)
        ]

    replaced_by = release.get("replaced_by")
    view = {
        "uri": iri,
        "title": release["title"],
        "description": literal(triples, iri, [PREFIXES["dct"] + "description"]) or "",
        "name": name,
        "series": labeller.term(minter.series(release["series"])),
        "edition": release["edition"],
        "revision": release.get("revision", 1),
        "current": current,
        "replaced_by": labeller.term(replaced_by) if replaced_by else None,
        "issued": release.get("issued", release["published"][:10]),
        "publisher": labeller.term(publisher_of(release, _settings()).uri),
        "licence": labeller.term(objects(triples, iri, PREFIXES["dct"] + "license")[0]),
        "level": release["level"],
        "vintage": release["vintage"],
        "period": release["period"],
        "universe": release["universe"],
        "rank_direction": release.get("rank_direction", ""),
        "method": labeller.term(release["method"]) if release.get("method") else None,
        "derived_from": [
            labeller.term(o)
            for o in objects(triples, iri, PREFIXES["prov"] + "wasDerivedFrom")
            if "/data/" in o
        ],
        "missing_values": literal(triples, iri, [minter.ontology("missingValues")]),
        "observations": release["observations"],
        "triples": release["triples"],
        "structure": {
            "uri": structure,
            "href": structure,
            "dimensions": component_terms("dimension"),
            "measures": component_terms("measure"),
            "attributes": component_terms("attribute"),
        },
        "downloads": [
            {"title": filename, "href": url, "media_type": _media_type(filename)}
            for filename, url in download_urls(minter, release).items()
        ],
        "revisions": [
            {
                "number": r.get("revision", 1),
                "uri": r["dataset"],
                "href": r["dataset"],
                "issued": r.get("issued", r["published"][:10]),
                "current": r["dataset"] == everything["dataset"],
                "replaced_by_number": (by_dataset.get(r.get("replaced_by")) or {}).get("revision"),
            }
            for r in records
        ],
        "examples": _examples(name, release, current),
        "embed": _embed(name, release) if current else None,
    }
    notice = _replaced_notice(release)
    return render_template(
        "dataset.html",
        dataset=view,
        properties=properties(iri, triples, labeller),
        alternates=_alternates(iri, (*RDF_SUFFIXES, "csv")),
        cite=cite_release(release, publisher_of(release, _settings()).name),
        **notice,
    )


def _observation_page(iri: str, triples, labeller: Labeller, name: str, release: dict, current: bool) -> str:
    minter = _minter()

    def one(predicate: str):
        found = objects(triples, iri, predicate)
        return labeller.term(found[0]) if found else None

    measure = one(PREFIXES["qb"] + "measureType")
    component_dimension = next(
        (t.predicate.value for t in triples if t.predicate.value.startswith(minter.dimension(""))), ""
    )
    value = literal(triples, iri, [measure.uri]) if measure else None
    tail = iri.rsplit("/obs/", 1)[1]
    area_code, period, component, notation = tail.split("/")
    ranks = {m for m, d in vocabulary_measures(minter.defs).items() if d.rank_of}
    words_text = ""
    if value is not None:
        words_text = words(
            notation, float(value), release["universe"], release.get("rank_direction", ""), ranks
        )
    area = one(PREFIXES["sdmx-dimension"] + "refArea")
    view = {
        "uri": iri,
        "dataset": labeller.term(release["dataset"]),
        "area": area,
        "period": one(PREFIXES["sdmx-dimension"] + "refPeriod"),
        "component": one(component_dimension),
        "measure": measure,
        "text": value,
        "unit": one(PREFIXES["sdmx-attribute"] + "unitMeasure"),
        "status": one(PREFIXES["sdmx-attribute"] + "obsStatus"),
        "words": words_text,
    }
    notice = _replaced_notice(release, f"/obs/{tail}")
    what = f"{measure.label} of {view['component'].label}, {area.label}, {view['period'].label}"
    return render_template(
        "observation.html",
        obs=view,
        properties=properties(iri, triples, labeller),
        alternates=_alternates(iri, RDF_SUFFIXES),
        cite=cite_release(release, publisher_of(release, _settings()).name, iri, what),
        **notice,
    )


def _resource_page(iri: str, triples, labeller: Labeller, owner, described) -> str:
    members = []
    for link, title in (
        (PREFIXES["skos"] + "inScheme", "Concepts in this scheme"),
        (PREFIXES["dcat"] + "inSeries", "Editions and revisions in this series"),
    ):
        items = sorted(
            {t.subject.value for t in triples if t.predicate.value == link and t.object.value == iri}
        )
        if items:
            members.append({"title": title, "items": [labeller.term(i) for i in items]})
    hashed = described.hash_members(iri)
    if hashed:
        members.append({"title": "Terms in this document", "items": [labeller.term(i) for i in hashed]})
    notice = _replaced_notice(owner[1], iri[len(owner[1]["dataset"]) :]) if owner else {}
    citation = cite(iri, labeller.known.get(iri) or labeller.compact(iri), _settings().publisher_name)
    return render_template(
        "resource.html",
        resource=resource_view(iri, triples, labeller, members),
        alternates=_alternates(iri, RDF_SUFFIXES),
        cite=citation,
        **notice,
    )


def _resource_html(iri: str, triples, described) -> Response:
    labeller = Labeller(_minter(), described.labels(_iris(triples)))
    html = _resource_page(iri, triples, labeller, None, described)
    return _respond(iri, html.encode(), "text/html; charset=utf-8", RDF_SUFFIXES, SHORT_SECONDS)


def _replaced_notice(release: dict, tail: str = "") -> dict:
    """A replaced revision says so, and links to the same resource in the revision that replaced it."""
    replaced_by = release.get("replaced_by")
    if not replaced_by:
        return {}
    return {
        "notice": (
            f"This is revision {release.get('revision', 1)} of {release['title']}. It was replaced on "
            f"{release.get('replaced', '')} by a corrected revision; it still resolves, unchanged, "
            "so that citations of it stay true."
        ),
        "notice_href": replaced_by + tail,
        "notice_link_text": "The same in the revision that replaced it",
    }


def _embed(name: str, release: dict) -> dict | None:
    """Snippets that show this dataset on a council's own page (the map only where boundaries exist)."""
    found = current_app.extensions["localindex_tables"].dataset(name)
    if found is None or found.table.empty:
        return None
    base, first = _minter().base, str(found.table["area"].iloc[0])
    chosen = headline(release, _minter())
    mappable = release.get("level") in BOUNDARY_LEVELS and bool(boundaries(release["level"]))
    return {
        "map": embed_snippet(base, name, chosen.measure, None) if mappable and chosen else "",
        "map_page": f"/map?dataset={name}" if mappable else "",
        "scorecard": embed_snippet(base, name, area=first),
    }


def _examples(name: str, release: dict, current: bool) -> list[dict]:
    minter = _minter()
    graph = "" if current else f"FROM <{release['graph']}> "
    query = (
        f"SELECT ?area ?component ?measure ?value {graph}WHERE {{\n"
        f"  ?obs <{PREFIXES['qb']}dataSet> <{release['dataset']}> ;\n"
        f"       <{PREFIXES['sdmx-dimension']}refArea> ?area ;\n"
        f"       <{PREFIXES['qb']}measureType> ?measure ;\n"
        f"       ?measure ?value .\n"
        f"  OPTIONAL {{ ?obs ?dimension ?component . FILTER(STRSTARTS(STR(?dimension), "
        f'"{minter.dimension("")}")) }}\n'
        "} LIMIT 10"
    )
    examples = [
        {
            "title": "SPARQL: ten observations (CSV)",
            "command": f"curl -H 'Accept: text/csv' --data-urlencode 'query={query}' "
            + minter.sparql_endpoint,
            "href": f"{minter.sparql_endpoint}?{urlencode({'query': query, 'format': 'csv'})}",
        },
        {
            "title": "This dataset's description in Turtle",
            "command": f"curl -H 'Accept: text/turtle' {release['dataset']}",
            "href": release["dataset"] + ".ttl",
        },
    ]
    if current:
        rest = f"{minter.rest_api}/observations?{urlencode({'dataset': name, 'per_page': 10})}"
        examples.insert(
            1, {"title": "REST: ten observations (JSON)", "command": f"curl '{rest}'", "href": rest}
        )
    return examples


# --- responses -----------------------------------------------------------------------------------


def _respond(iri: str, body: bytes, media_type: str, offered, cacheable_for: int) -> Response:
    response = Response(body, mimetype=media_type.split(";")[0])
    if "charset" in media_type or media_type.startswith("text/"):
        response.mimetype = media_type.split(";")[0]
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = ", ".join(
        [f'<{iri}>; rel="canonical"']
        + [
            f'<{_with_suffix(iri, s)}>; rel="alternate"; type="{REPRESENTATIONS[s].media_type}"'
            for s in offered
        ]
    )
    response.set_etag(hashlib.sha256(body).hexdigest()[:40])
    response.cache_control.public = True
    response.cache_control.max_age = cacheable_for
    if cacheable_for == IMMUTABLE_SECONDS:
        response.cache_control.immutable = True
    return response.make_conditional(request)


def _immutable(iri: str, releases: dict) -> int:
    """A year for what lies inside a revision (observations, structure, area list); minutes otherwise."""
    owner = _owner(iri, releases)
    return IMMUTABLE_SECONDS if owner and iri != owner[1]["dataset"] else SHORT_SECONDS


def _owner(iri: str, releases: dict):
    """The revision whose URI space holds ``iri`` (the longest matching dataset URI), if any."""
    best = None
    for dataset, entry in releases.items():
        if (iri == dataset or iri.startswith(dataset + "/")) and (
            best is None or len(dataset) > len(best[0])
        ):
            best = (dataset, entry)
    return best[1] if best else None


def _dataset_csv(iri: str, release: dict) -> Response:
    path = Path(release["dir"]) / f"{release['stem']}.csv"
    if path.name not in release_files(path.parent):
        return not_found(iri, "html")
    response = send_file(path, mimetype="text/csv", conditional=True, etag=True)
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = f'<{iri}>; rel="canonical"'
    response.cache_control.public = True
    response.cache_control.max_age = IMMUTABLE_SECONDS
    return response


def _latest(series: str, suffix: str | None) -> Response:
    release = latest_release(_described().snapshot.releases, series)
    if release is None:
        return not_found(_minter().latest(series), suffix or "html")
    response = redirect(_with_suffix(release["dataset"], suffix), code=302)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _with_suffix(iri: str, suffix: str | None) -> str:
    return f"{iri}.{suffix}" if suffix else iri


def _not_acceptable(iri: str, offered, suffix: str | None) -> Response:
    if suffix is not None:
        return not_found(f"{iri}.{suffix}", "html", f"{iri} has no {suffix.upper()} representation")
    types = ", ".join(REPRESENTATIONS[s].media_type for s in offered)
    return Response(f"406 Not Acceptable: {iri} is available as {types}\n", 406, mimetype="text/plain")


def not_found(iri: str, suffix: str, suggestion: str | None = None) -> Response:
    """404 that names what was not found and links the nearest resource that exists."""
    minter, described = _minter(), current_app.extensions["localindex_described"].current()
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


def _alternates(iri: str, offered) -> list[dict]:
    return [
        {
            "label": REPRESENTATIONS[s].label,
            "href": _with_suffix(iri, s),
            "media_type": REPRESENTATIONS[s].media_type,
        }
        for s in offered
        if s != "html"
    ]


def _iris(triples) -> set[str]:
    found = set()
    for triple in triples:
        for node in (triple.subject, triple.predicate, triple.object):
            if isinstance(node, ox.NamedNode):
                found.add(node.value)
    return found


def _media_type(filename: str) -> str:
    for suffix, media_type in (
        (".csv-metadata.json", "application/csvm+json"),
        (".csv", "text/csv"),
        (".nt.gz", "application/n-triples (gzip)"),
        (".ttl", "text/turtle"),
    ):
        if filename.endswith(suffix):
            return media_type
    return "text/plain"
