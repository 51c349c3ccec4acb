"""/api/v1/datasets: the published and harvested datasets, and one dataset."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, jsonify, url_for

from publisher.inputs.publishers import publisher_of
from publisher.rdf.uris import OGL_V3

from ..downloads import download_urls
from .common import (
    ApiError,
    blueprint,
    minter,
    tables,
)


def _describe(name: str, release: dict) -> dict:
    base = minter().base
    present = Path(release["dir"]).exists()
    derived_from = release.get("derived_from") or None
    return {
        "id": name,
        "uri": release["dataset"],
        "title": release.get("title"),
        "period": release.get("period"),
        "level": release.get("level"),
        "geography_vintage": release.get("vintage"),
        "components": release.get("components"),
        "measures": release.get("measures"),
        "derived_from": derived_from,
        "derived": derived_from is not None,
        "method": release.get("method"),
        "structure": release.get("structure"),
        "observations": release["observations"],
        "published": release["published"],
        "downloads": _downloads(release) if present else [],
        "member": release.get("member"),
        "revision": release.get("revision", 1),
        "publisher": _publisher(release),
        "licence": release.get("licence", OGL_V3),
        "sparql": f"{base}sparql",
    }


def _publisher(release: dict) -> dict:
    """Who published the release: a registered council or charity, or this deployment."""
    found = publisher_of(release, current_app.config["LOCALINDEX_SETTINGS"])
    return {"id": found.id, "name": found.name, "uri": found.uri}


def _downloads(release: dict) -> list[str]:
    if release.get("member"):  # harvested: the member's own dump
        return [release["dump"]]
    return list(download_urls(minter(), release).values())


@blueprint.route("/datasets")
def datasets():
    releases = tables().releases()
    snapshot = current_app.extensions["localindex_snapshots"].current()
    harvested = snapshot.manifest.get("harvested", {}) if snapshot else {}
    return jsonify(
        {
            "datasets": [_describe(n, r) for n, r in sorted(releases.items()) if not r.get("member")],
            "harvested": [
                {
                    "id": key,
                    "member": h["member"],
                    "uri": h["dataset"],
                    "graph": h["graph"],
                    "dump": h["dump"],
                    "sha256": h["sha256"],
                    "fetched": h["fetched"],
                }
                for key, h in sorted(harvested.items())
            ],
        }
    )


@blueprint.route("/datasets/<series>/<edition>")
def dataset(series: str, edition: str):
    name = f"{series}/{edition}"
    releases = tables().releases()
    if name not in releases:
        raise ApiError(404, f"no published dataset {name!r}; see {url_for('.datasets')}")
    return jsonify(_describe(name, releases[name]))
