"""/def/input-format/: the submission standard for people (HTML, generated from the same CSVW schemas
ingestion enforces) and for machines (the CSVW metadata, and RDF through the usual dereferencing)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, send_file

from publisher.published import (
    INPUT_FORMAT_DIR,
    INPUT_FORMAT_VERSION,
    MANIFEST_REQUIRED,
    MANIFEST_TEXT_LIMITS,
    input_format_errors,
    input_format_table,
)

from .citation import cite
from .linkeddata import dereference
from .representations import RDF_SUFFIXES, choose

blueprint = Blueprint("input_format", __name__)
TABLES = ("indicators", "observations")


@blueprint.route("/def/input-format/")
def documentation():
    representation = choose(None, request.accept_mimetypes, RDF_SUFFIXES)
    if representation is not None and representation.suffix != "html":
        return dereference("input-format/")
    settings = current_app.config["LOCALINDEX_SETTINGS"]
    uri = f"{settings.definitions}def/input-format/"
    return render_template(
        "input_format.html",
        uri=uri,
        version=INPUT_FORMAT_VERSION,
        tables=[input_format_table(name) for name in TABLES],
        manifest_keys=[*MANIFEST_REQUIRED, "missing_values"],
        text_limits=MANIFEST_TEXT_LIMITS,
        errors=input_format_errors(),
        threshold=settings.suppression_threshold,
        cite=cite(uri, "localindex input format, version 1", settings.publisher_name),
    )


@blueprint.route("/def/input-format/<name>.json")
def schema(name: str):
    if name not in TABLES:
        abort(404)
    response = send_file(INPUT_FORMAT_DIR / f"{name}.json", mimetype="application/csvm+json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
