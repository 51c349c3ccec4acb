"""A regional hub's configuration: the member publishers it federates (DESIGN.md §8).

The members listed here are the only hosts the hub ever contacts: every URL it fetches is checked
against its member's ``base_uri`` first, and nothing a user sends can add to the list.
"""

from __future__ import annotations

import posixpath
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..rdf.uris import check_segment


class HubConfigError(ValueError):
    """The hub configuration cannot be used; the message names the file, member and field."""


@dataclass(frozen=True)
class Member:
    id: str
    title: str
    base_uri: str
    catalog: str
    sparql: str
    series: tuple[str, ...]

    def allows(self, url: str) -> bool:
        """Whether ``url`` lies under this member's base URI (same scheme, host, port, path prefix)."""
        return _normal(url).startswith(_normal(self.base_uri))


@dataclass(frozen=True)
class HubConfig:
    id: str
    title: str
    members: tuple[Member, ...]
    timeout_s: float = 10.0
    max_download_mb: float = 200.0
    levels: tuple[str, ...] = ("region", "stp")  # cross-council summaries of the members' LSOAs
    path: Path = field(default=Path("hub.toml"), compare=False)

    def member(self, member_id: str) -> Member:
        for member in self.members:
            if member.id == member_id:
                return member
        known = ", ".join(m.id for m in self.members)
        raise HubConfigError(f"{self.path}: no member {member_id!r} (members: {known})")

    @classmethod
    def load(cls, path: Path) -> HubConfig:
        try:
            with path.open("rb") as handle:
                raw = tomllib.load(handle)
        except FileNotFoundError:
            raise HubConfigError(f"hub configuration not found: {path}") from None
        except tomllib.TOMLDecodeError as error:
            raise HubConfigError(f"{path}: not valid TOML: {error}") from None
        hub = raw.get("hub", {})
        members = [_member(path, i, entry) for i, entry in enumerate(raw.get("member", []), start=1)]
        if not members:
            raise HubConfigError(f"{path}: no [[member]] entries: a hub federates at least one member")
        ids = [m.id for m in members]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise HubConfigError(f"{path}: member id(s) listed twice: {', '.join(duplicates)}")
        try:
            hub_id = check_segment(str(hub.get("id", "")), "[hub] id")
        except ValueError as error:
            raise HubConfigError(f"{path}: {error}") from None
        return cls(
            id=hub_id,
            title=str(hub.get("title", hub_id)),
            members=tuple(members),
            timeout_s=float(hub.get("timeout_s", 10.0)),
            max_download_mb=float(hub.get("max_download_mb", 200.0)),
            levels=_levels(path, hub.get("levels", ["region", "stp"])),
            path=path,
        )


def _member(path: Path, number: int, entry: dict) -> Member:
    where = f"{path}: member {number}"
    try:
        member_id = check_segment(str(entry.get("id", "")), "id")
        where = f"{path}: member {member_id!r}"
        base = _url(entry.get("base_uri"), "base_uri")
        if not base.endswith("/"):
            raise ValueError(f"base_uri {base!r} must end with '/'")
        member = Member(
            id=member_id,
            title=str(entry.get("title", member_id)),
            base_uri=base,
            catalog=_url(entry.get("catalog", base + "catalog.ttl"), "catalog"),
            sparql=_url(entry.get("sparql", base + "sparql"), "sparql"),
            series=tuple(check_segment(str(s), "series") for s in entry.get("series", [])),
        )
    except ValueError as error:
        raise HubConfigError(f"{where}: {error}") from None
    for name in ("catalog", "sparql"):
        if not member.allows(getattr(member, name)):
            raise HubConfigError(f"{where}: {name} {getattr(member, name)!r} is not under base_uri {base!r}")
    if not member.series:
        raise HubConfigError(f'{where}: series: list the series to harvest, e.g. series = ["imd-lsoa"]')
    return member


def _levels(path: Path, levels) -> tuple[str, ...]:
    allowed = ("lad", "region", "stp")
    unknown = [level for level in levels if level not in allowed]
    if unknown:
        raise HubConfigError(f"{path}: [hub] levels: {unknown} (choose from {', '.join(allowed)})")
    return tuple(levels)


def _url(value, name: str) -> str:
    text = str(value or "")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name} {text!r} is not an http(s) URL")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError(f"{name} {text!r} must not carry credentials, a query or a fragment")
    return text


def _normal(url: str) -> str:
    """Scheme, host, port and a normalised path: '/a/../b' cannot escape a base path."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = posixpath.normpath(parts.path or "/") + ("/" if parts.path.endswith("/") else "")
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}{path.replace('//', '/')}"
