"""/embed/localindex.js: the web components councils put on their own pages (any origin)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, send_file

blueprint = Blueprint("embed", __name__)
SCRIPT = Path(__file__).parent / "static" / "embed" / "localindex.js"


@blueprint.route("/embed/localindex.js")
def script():
    response = send_file(SCRIPT, mimetype="text/javascript", max_age=300)
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
