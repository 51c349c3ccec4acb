"""localindex web API: SPARQL endpoint, downloads and pages over the published snapshot."""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask, jsonify, render_template, request

from publisher.config import Settings, load_settings

from . import downloads, rest, sparql
from .pool import QueryPool
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
    app.config["MAX_CONTENT_LENGTH"] = 4 * settings.max_query_chars + 4096  # form encoding can triple
    pool: list[QueryPool] = []
    pool_lock = threading.Lock()

    def get_pool() -> QueryPool:
        with pool_lock:
            if not pool:
                pool.append(
                    QueryPool(settings.query_workers, settings.query_timeout_s, settings.query_memory_mb)
                )
            return pool[0]

    app.extensions["localindex_pool"] = get_pool
    app.register_blueprint(sparql.blueprint)
    app.register_blueprint(downloads.blueprint)
    app.register_blueprint(rest.blueprint)

    @app.errorhandler(404)
    @app.errorhandler(405)
    def api_errors_as_json(error):
        if not request.path.startswith("/api/"):
            return error
        return jsonify({"error": {"status": error.code, "message": error.description}}), error.code

    @app.route("/")
    def home():
        snapshot = app.extensions["localindex_snapshots"].current()
        releases = []
        for name, release in sorted((snapshot.releases if snapshot else {}).items()):
            files = sorted(downloads.release_files(Path(release["dir"])))
            releases.append((name, {**release, "files": files}))
        return render_template(
            "home.html",
            base=settings.base_uri,
            releases=releases,
            timeout=f"{settings.query_timeout_s:g}",
            row_cap=f"{settings.query_row_cap:,}",
        )

    @app.after_request
    def cors(response):
        response.headers.setdefault("Access-Control-Allow-Origin", "*")
        return response

    return app
