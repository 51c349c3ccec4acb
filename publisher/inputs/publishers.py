"""Who may publish here: the deployment itself, and the councils and third-sector organisations
registered in the publishers file (data/publishers.toml), each with its own URI and datasets."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..rdf.uris import check_segment

KINDS = ("council", "third-sector", "public-body")


@dataclass(frozen=True)
class Publisher:
    id: str
    name: str
    uri: str
    homepage: str = ""
    kind: str = ""

    def record(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "uri": self.uri,
            "homepage": self.homepage,
            "kind": self.kind,
        }


class UnknownPublisher(LookupError):
    pass


def deployment_publisher(settings) -> Publisher:
    return Publisher("", settings.publisher_name, settings.publisher_uri)


def registered_publisher(settings, publisher_id: str) -> Publisher:
    """The registered publisher ``publisher_id``; refused when the publishers file does not list it."""
    check_segment(publisher_id, "publisher id")
    path: Path = settings.publishers_file
    entries = {}
    if path.exists():
        with path.open("rb") as handle:
            entries = tomllib.load(handle).get("publisher", {})
    if publisher_id not in entries:
        known = ", ".join(sorted(entries)) or "none"
        raise UnknownPublisher(
            f"publisher {publisher_id!r} is not registered in {path} (registered: {known})"
        )
    entry = entries[publisher_id]
    kind = entry.get("kind", "")
    if kind not in KINDS:
        raise ValueError(f"{path}: publisher {publisher_id}: kind must be one of {', '.join(KINDS)}")
    return Publisher(
        publisher_id,
        entry["name"],
        f"{settings.base_uri}id/publisher/{publisher_id}",
        entry.get("homepage", ""),
        kind,
    )


def publisher_of(release_or_spec, settings) -> Publisher:
    """The publisher of a release record or dataset spec: a registered one, or the deployment."""
    found = (
        release_or_spec.get("publisher") if isinstance(release_or_spec, dict) else release_or_spec.publisher
    )
    if isinstance(found, dict):  # as a release record states it
        return Publisher(**found)
    if found:
        return registered_publisher(settings, found)
    return deployment_publisher(settings)
