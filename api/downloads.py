"""/downloads/{series}/{edition}/{file}: the files of the published release, nothing else."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, send_file

from publisher.published import Minter, Release, download_kind

blueprint = Blueprint("downloads", __name__)
IMMUTABLE_SECONDS = 365 * 24 * 3600


def _release(series: str, edition: str, revision: int | None = None) -> Release:
    snapshot = current_app.extensions["localindex_snapshots"].current()
    current = snapshot.releases.get(f"{series}/{edition}") if snapshot else None
    release = current.revision_record(revision) if current else None
    if release is None:
        what = f"{series}/{edition}" + (f" revision {revision}" if revision else "")
        abort(404, description=f"no published dataset {what}; see /downloads/")
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
    minter = Minter.of(current_app.config["LOCALINDEX_SETTINGS"])
    return jsonify(
        {
            name: download_urls(minter, release)
            for name, release in sorted((snapshot.releases if snapshot else {}).items())
        }
    )


def download_urls(minter: Minter, release: Release) -> dict[str, str]:
    """File name → URL of every file of one revision."""
    names = sorted(release_files(release.directory))
    return {n: minter.download(release.series, release.edition, n, release.revision) for n in names}


@blueprint.route("/downloads/<series>/<edition>/<filename>", defaults={"revision": 1})
@blueprint.route("/downloads/<series>/<edition>/revision/<int:revision>/<filename>")
def download(series: str, edition: str, filename: str, revision: int):
    directory = _release(series, edition, revision).directory
    published = release_files(directory)
    if filename not in published:  # only names the release holds: no path ever comes from the request
        abort(404, description=f"{filename} is not a file of {series}/{edition}; see /downloads/")
    path = published[filename]
    media_type = download_kind(filename).media_type
    if filename.endswith(".gz"):  # served as the compressed file it is, not with a Content-Encoding
        media_type = "application/gzip"
    response = send_file(path, mimetype=media_type, as_attachment=False, conditional=True, etag=True)
    response.cache_control.public = True
    response.cache_control.max_age = IMMUTABLE_SECONDS  # a revision's files never change
    return response
