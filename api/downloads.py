"""/downloads/{series}/{edition}/{file}: the files of the published release, nothing else."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request, send_file

from publisher.published import Minter, Release, download_kind, requested_names, requested_workbook

from .negotiation import prefers_html

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
    """Every current release's files: JSON (name → file → URL), or a page for a browser."""
    snapshot = current_app.extensions["localindex_snapshots"].current()
    minter = Minter.of(current_app.config["LOCALINDEX_SETTINGS"])
    releases = sorted((snapshot.releases if snapshot else {}).items())
    if prefers_html(request.accept_mimetypes, ["application/json"]):
        response = Response(
            render_template("downloads.html", releases=[page_view(minter, r) for _, r in releases])
        )
    else:
        response = jsonify({name: download_urls(minter, release) for name, release in releases})
    response.headers["Vary"] = "Accept"
    return response


def size_text(directory: Path, name: str) -> str:
    """A release file's size for people, or that it is made when first asked for."""
    path = directory / name
    return human_size(path.stat().st_size) if path.is_file() else "made when first asked for"


def page_view(minter: Minter, release: Release) -> dict:
    return {
        "name": release.name,
        "title": release.title,
        "href": release.dataset,
        "files": [
            {
                "name": name,
                "href": url,
                "what": download_kind(name).title.format(name=name),
                "media_type": download_kind(name).media_type,
                "size": size_text(release.directory, name),
            }
            for name, url in download_urls(minter, release).items()
        ],
    }


def human_size(size: int) -> str:
    """A file's size for people: '16.5 MB'."""
    if size < 1000:
        return f"{size} bytes"
    return f"{size / 1000:.1f} kB" if size < 1_000_000 else f"{size / 1_000_000:,.1f} MB"


def download_urls(minter: Minter, release: Release) -> dict[str, str]:
    """File name → URL of every file of one revision."""
    names = sorted([*release_files(release.directory), *requested_names(release.directory)])
    return {n: minter.download(release.series, release.edition, n, release.revision) for n in names}


@blueprint.route("/downloads/<series>/<edition>/<filename>", defaults={"revision": 1})
@blueprint.route("/downloads/<series>/<edition>/revision/<int:revision>/<filename>")
def download(series: str, edition: str, filename: str, revision: int):
    directory = _release(series, edition, revision).directory
    published = release_files(directory)
    if filename in requested_names(directory):  # a large table's workbook, made once when first asked for
        cache = current_app.config["LOCALINDEX_SETTINGS"].var_dir / "workbooks"
        published[filename] = requested_workbook(directory, filename, cache)
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
