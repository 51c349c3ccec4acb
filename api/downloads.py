"""/downloads/{series}/{edition}/{file}: the files of the published release, nothing else."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, send_file

blueprint = Blueprint("downloads", __name__)
MEDIA_TYPES = {
    ".csv": "text/csv",
    ".json": "application/csvm+json",
    ".gz": "application/gzip",
    ".ttl": "text/turtle",
    ".txt": "text/plain",
}


def _release(series: str, edition: str) -> dict:
    snapshot = current_app.extensions["localindex_snapshots"].current()
    release = snapshot.releases.get(f"{series}/{edition}") if snapshot else None
    if release is None:
        abort(404, description=f"no published dataset {series}/{edition}; see /downloads/")
    return release


def release_files(directory: Path) -> dict[str, Path]:
    """The release's own files: regular, not hidden, not links."""
    return {
        p.name: p
        for p in directory.iterdir()
        if p.is_file() and not p.is_symlink() and not p.name.startswith(".")
    }


@blueprint.route("/downloads/")
def index():
    snapshot = current_app.extensions["localindex_snapshots"].current()
    base = current_app.config["LOCALINDEX_SETTINGS"].base_uri
    listing = {}
    for name, release in sorted((snapshot.releases if snapshot else {}).items()):
        files = sorted(release_files(Path(release["dir"])))
        listing[name] = [f"{base}downloads/{name}/{f}" for f in files]
    return jsonify(listing)


@blueprint.route("/downloads/<series>/<edition>/<filename>")
def download(series: str, edition: str, filename: str):
    directory = Path(_release(series, edition)["dir"])
    published = release_files(directory)
    if filename not in published:  # only names the release holds: no path ever comes from the request
        abort(404, description=f"{filename} is not a file of {series}/{edition}; see /downloads/")
    path = published[filename]
    media_type = MEDIA_TYPES.get(path.suffix, "application/octet-stream")
    if filename.endswith(".nt.gz"):
        media_type = "application/gzip"
    return send_file(
        path, mimetype=media_type, as_attachment=False, conditional=True, etag=True, max_age=3600
    )
