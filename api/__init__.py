"""localindex web API: SPARQL endpoint, downloads and pages over the published snapshot."""

from __future__ import annotations

import threading

from flask import Flask, jsonify, render_template, request
from werkzeug.middleware.proxy_fix import ProxyFix

from publisher.published import Minter, Settings, load_settings

from . import downloads, embed, feeds, inputformat, linkeddata, maps, rest, scorecards, search, sparql
from .citation import cite
from .describe import DescribedSnapshots
from .pool import QueryPool
from .requests import refuse_what_no_route_means
from .snapshots import SnapshotWatcher
from .tables import PublishedTables


def create_app(settings: Settings | None = None) -> Flask:
    """Application factory. The query pool starts on first use, after any server fork."""
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config["LOCALINDEX_SETTINGS"] = settings
    snapshots = SnapshotWatcher(settings)
    app.extensions["localindex_snapshots"] = snapshots
    app.extensions["localindex_tables"] = PublishedTables(settings, snapshots)
    app.extensions["localindex_described"] = DescribedSnapshots(snapshots, settings)
    app.config["MAX_CONTENT_LENGTH"] = 4 * settings.max_query_chars + 4096  # form encoding can triple
    if settings.trusted_proxies:  # the client's address, for per-client fairness, from X-Forwarded-For
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies, x_proto=0, x_host=0)
    pool: list[QueryPool] = []
    pool_lock = threading.Lock()

    def get_pool() -> QueryPool:
        with pool_lock:
            if not pool:
                pool.append(QueryPool(settings))
            return pool[0]

    app.extensions["localindex_pool"] = get_pool
    app.register_blueprint(sparql.blueprint)
    app.register_blueprint(downloads.blueprint)
    app.register_blueprint(feeds.blueprint)
    app.register_blueprint(rest.blueprint)
    app.register_blueprint(inputformat.blueprint)
    app.register_blueprint(maps.blueprint)
    app.register_blueprint(scorecards.blueprint)
    app.register_blueprint(embed.blueprint)
    app.register_blueprint(search.blueprint)
    app.register_blueprint(linkeddata.blueprint)
    refuse_what_no_route_means(app)

    @app.errorhandler(404)
    @app.errorhandler(405)
    def errors(error):
        if request.path.startswith("/api/"):
            allowed = getattr(error, "valid_methods", None)  # a 405 must say what is allowed (RFC 9110)
            headers = {"Allow": ", ".join(allowed)} if allowed else {}
            body = {"error": {"status": error.code, "message": error.description}}
            return jsonify(body), error.code, headers
        if error.code == 404 and not request.path.startswith(("/downloads/", "/sparql")):
            return linkeddata.not_found(settings.base_uri + request.path.lstrip("/"), "html")
        return error

    @app.route("/")
    def home():
        snapshot = app.extensions["localindex_snapshots"].current()
        minter = Minter.of(settings)
        releases = [
            {
                "name": name,
                "title": release.title,
                "href": release.dataset,
                "uri": release.dataset,
                "observations": release.observations,
                "triples": release.triples,
                "published": release.issued_date,
                "revision": release.revision,
                "level": release.level,
                "period": release.period,
                "files": [
                    {"name": n, "href": url}
                    for n, url in downloads.download_urls(minter, release).items()
                    if release.directory.exists()
                ],
            }
            for name, release in sorted((snapshot.releases if snapshot else {}).items())
        ]
        return render_template(
            "home.html",
            base=settings.base_uri,
            releases=releases,
            examples=home_examples(minter),
            timeout=f"{settings.query_timeout_s:g}",
            row_cap=f"{settings.query_row_cap:,}",
            cite=cite(minter.catalog, f"{settings.publisher_name}: catalogue", settings.publisher_name),
        )

    @app.after_request
    def cors(response):
        """Every GET is public data: pages, API, SPARQL and downloads can be read from any origin."""
        response.headers.setdefault("Access-Control-Allow-Origin", "*")
        response.headers.setdefault("Access-Control-Expose-Headers", "ETag, Link, Location, Vary")
        return response

    return app


def home_examples(minter: Minter) -> list[dict]:
    sparql = minter.sparql_endpoint
    query = (
        "PREFIX qb: <http://purl.org/linked-data/cube#> "
        "PREFIX sdmx: <http://purl.org/linked-data/sdmx/2009/dimension#> "
        "SELECT ?dataset ?measure ?value WHERE { "
        "?obs sdmx:refArea <http://statistics.data.gov.uk/id/statistical-geography/E09000002> ; "
        "qb:dataSet ?dataset ; qb:measureType ?measure ; ?measure ?value } LIMIT 20"
    )
    return [
        {
            "title": "SPARQL: values for Barking and Dagenham (CSV)",
            "command": f"curl -H 'Accept: text/csv' --data-urlencode 'query={query}' {sparql}",
        },
        {"title": "REST: the published datasets", "command": f"curl {minter.rest_api}/datasets"},
        {
            "title": "Linked data: an edition in Turtle",
            "command": f"curl -H 'Accept: text/turtle' {minter.edition('imd-lsoa', '2019')}",
        },
        {
            "title": "The catalogue (DCAT) and VoID",
            "command": f"curl {minter.catalog}.ttl; curl {minter.void}.ttl",
        },
    ]
