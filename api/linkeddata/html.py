"""The HTML representation of a dataset (edition or revision), an observation and any other
described resource."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, current_app, render_template

from publisher.published import BOUNDARY_LEVELS, Release, boundaries, publisher_of, vocabulary_measures

from ..citation import cite
from ..downloads import download_urls, size_text
from ..maps import embed_snippet
from ..pages import (
    PREFIXES,
    Labeller,
    cite_release,
    literal,
    objects,
    properties,
    resource_view,
    words,
)
from ..representations import RDF_SUFFIXES
from ..scorecards import headline
from .common import (
    SHORT_SECONDS,
    alternates,
    app_described,
    app_minter,
    app_settings,
    iris_of,
    media_type_of,
    respond,
)


def dataset_page(iri: str, triples, labeller: Labeller, release: Release, current: bool) -> str:
    minter = app_minter()
    name = release.name
    everything = app_described().snapshot.releases[name]
    records = everything.revisions
    by_dataset = {r.dataset: r for r in records}
    structure = release.structure
    structure_triples = app_described().triples(structure)
    component_specs = objects(structure_triples, structure, PREFIXES["qb"] + "component")
    spec_triples = [t for spec in component_specs for t in app_described().triples(spec)]
    labeller.known.update(app_described().labels(iris_of(spec_triples)))

    def component_terms(kind: str):
        return [
            labeller.term(o)
            for spec in component_specs
            for o in objects(spec_triples, spec, PREFIXES["qb"] + kind)
        ]

    replaced_by = release.replaced_by
    view = {
        "uri": iri,
        "title": release.title,
        "description": literal(triples, iri, [PREFIXES["dct"] + "description"]) or "",
        "name": name,
        "series": labeller.term(minter.series(release.series)),
        "series_name": release.series,
        "edition": release.edition,
        "revision": release.revision,
        "current": current,
        "replaced_by": labeller.term(replaced_by) if replaced_by else None,
        "issued": release.issued_date,
        "publisher": labeller.term(publisher_of(release, app_settings()).uri),
        "licence": labeller.term(objects(triples, iri, PREFIXES["dct"] + "license")[0]),
        "level": release.level,
        "vintage": release.vintage,
        "period": release.period,
        "universe": release.universe,
        "rank_direction": release.rank_direction,
        "method": labeller.term(release.method) if release.method else None,
        "derived_from": [
            labeller.term(o)
            for o in objects(triples, iri, PREFIXES["prov"] + "wasDerivedFrom")
            if "/data/" in o
        ],
        "missing_values": literal(triples, iri, [minter.ontology("missingValues")]),
        "observations": release.observations,
        "triples": release.triples,
        "structure": {
            "uri": structure,
            "href": structure,
            "dimensions": component_terms("dimension"),
            "measures": component_terms("measure"),
            "attributes": component_terms("attribute"),
        },
        "downloads": [
            {
                "title": filename,
                "href": url,
                "media_type": media_type_of(filename),
                "size": size_text(release.directory, filename),
            }
            for filename, url in download_urls(minter, release).items()
        ],
        "revisions": [
            {
                "number": r.revision,
                "uri": r.dataset,
                "href": r.dataset,
                "issued": r.issued_date,
                "current": r.dataset == everything.dataset,
                "replaced_by_number": _revision_number(by_dataset.get(r.replaced_by)),
            }
            for r in records
        ],
        "examples": _examples(release, current),
        "embed": _embed(release) if current else None,
    }
    notice = _replaced_notice(release)
    return render_template(
        "dataset.html",
        dataset=view,
        properties=properties(iri, triples, labeller),
        alternates=alternates(iri, (*RDF_SUFFIXES, "csv")),
        cite=cite_release(release, publisher_of(release, app_settings()).name),
        **notice,
    )


def observation_page(iri: str, triples, labeller: Labeller, release: Release, current: bool) -> str:
    minter = app_minter()

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
        words_text = words(notation, float(value), release.universe, release.rank_direction, ranks)
    area = one(PREFIXES["sdmx-dimension"] + "refArea")
    view = {
        "uri": iri,
        "dataset": labeller.term(release.dataset),
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
        alternates=alternates(iri, RDF_SUFFIXES),
        cite=cite_release(release, publisher_of(release, app_settings()).name, iri, what),
        **notice,
    )


def resource_page(iri: str, triples, labeller: Labeller, owner, described) -> str:
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
    notice = _replaced_notice(owner[0], iri[len(owner[0].dataset) :]) if owner else {}
    citation = cite(iri, labeller.known.get(iri) or labeller.compact(iri), app_settings().publisher_name)
    return render_template(
        "resource.html",
        resource=resource_view(iri, triples, labeller, members),
        alternates=alternates(iri, RDF_SUFFIXES),
        cite=citation,
        **notice,
    )


def resource_html(iri: str, triples, described) -> Response:
    labeller = Labeller(app_minter(), described.labels(iris_of(triples)))
    html = resource_page(iri, triples, labeller, None, described)
    return respond(iri, html.encode(), "text/html; charset=utf-8", RDF_SUFFIXES, SHORT_SECONDS)


def _revision_number(release: Release | None) -> int | None:
    return None if release is None else release.revision


def _replaced_notice(release: Release, tail: str = "") -> dict:
    """A replaced revision says so, and links to the same resource in the revision that replaced it."""
    replaced_by = release.replaced_by
    if not replaced_by:
        return {}
    return {
        "notice": (
            f"This is revision {release.revision} of {release.title}. It was replaced on "
            f"{release.replaced} by a corrected revision; it still resolves, unchanged, "
            "so that citations of it stay true."
        ),
        "notice_href": replaced_by + tail,
        "notice_link_text": "The same in the revision that replaced it",
    }


def _embed(release: Release) -> dict | None:
    """Snippets that show this dataset on a council's own page (the map only where boundaries exist)."""
    name = release.name
    found = current_app.extensions["localindex_tables"].dataset(name)
    if found is None or found.table.empty:
        return None
    base, first = app_minter().base, str(found.table["area"].iloc[0])
    chosen = headline(release, app_minter())
    mappable = release.level in BOUNDARY_LEVELS and bool(boundaries(release.vintage))
    return {
        "map": embed_snippet(base, name, chosen.measure, None) if mappable and chosen else "",
        "map_page": f"/map?dataset={name}" if mappable else "",
        "scorecard": embed_snippet(base, name, area=first),
    }


def _examples(release: Release, current: bool) -> list[dict]:
    minter = app_minter()
    name = release.name
    graph = "" if current else f"FROM <{release.graph}> "
    query = (
        f"SELECT ?area ?component ?measure ?value {graph}WHERE {{\n"
        f"  ?obs <{PREFIXES['qb']}dataSet> <{release.dataset}> ;\n"
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
            "command": f"curl -H 'Accept: text/turtle' {release.dataset}",
            "href": release.dataset + ".ttl",
        },
    ]
    if current:
        rest = f"{minter.rest_api}/observations?{urlencode({'dataset': name, 'per_page': 10})}"
        examples.insert(
            1, {"title": "REST: ten observations (JSON)", "command": f"curl '{rest}'", "href": rest}
        )
    return examples
