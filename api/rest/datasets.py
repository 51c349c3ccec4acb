"""/api/v1/datasets: the published and harvested datasets, and one dataset."""

from __future__ import annotations

from flask import current_app, jsonify, url_for

from publisher.published import Release, publisher_of

from ..downloads import download_urls
from .common import (
    ApiError,
    blueprint,
    minter,
    tables,
)


def _describe(name: str, release: Release) -> dict:
    base = minter().base
    present = release.directory.exists()
    return {
        "id": name,
        "uri": release.dataset,
        "title": release.title,
        "description": release.description,
        "missing_values": release.missing_values,
        "period": release.period,
        "level": release.level,
        "geography_vintage": release.vintage,
        "components": list(release.components),
        "measures": list(release.measures),
        "derived_from": release.derived_from,
        "derived": release.derived_from is not None,
        "method": release.method,
        "structure": release.structure,
        "observations": release.observations,
        "published": release.published,
        "downloads": _downloads(release) if present else [],
        "member": release.member,
        "revision": release.revision,
        "publisher": _publisher(release),
        "licence": release.licence,
        "sparql": f"{base}sparql",
    }


def _publisher(release: Release) -> dict:
    """Who published the release: a registered council or charity, or this deployment."""
    found = publisher_of(release, current_app.config["LOCALINDEX_SETTINGS"])
    return {"id": found.id, "name": found.name, "uri": found.uri}


def _downloads(release: Release) -> list[str]:
    if release.member:  # harvested: the member's own dump
        return [release.dump]
    return list(download_urls(minter(), release).values())


@blueprint.route("/datasets")
def datasets():
    releases = tables().releases()
    snapshot = current_app.extensions["localindex_snapshots"].current()
    harvested = snapshot.harvested if snapshot else {}
    return jsonify(
        {
            "datasets": [_describe(n, r) for n, r in sorted(releases.items()) if not r.member],
            "harvested": [
                {
                    "id": key,
                    "member": h.member,
                    "uri": h.dataset,
                    "graph": h.graph,
                    "dump": h.dump,
                    "sha256": h.sha256,
                    "fetched": h.fetched,
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
