"""Atom feeds (RFC 4287) of what is published, so that a reader hears of a new edition or a correction
without watching the catalogue: /feed.atom has every release and revision, /feed/{series}.atom those of
one series. Newest first; an entry's id is the revision's stable dataset URI, and its date the day the
revision was issued (a rebuild that says the same is not news)."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree

from flask import Blueprint, Response, abort, current_app

from publisher.published import Release, publisher_of

from .linkeddata.common import SHORT_SECONDS, app_minter, app_settings

blueprint = Blueprint("feeds", __name__)
ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
ElementTree.register_namespace("", ATOM)


@blueprint.route("/feed.atom")
def releases() -> Response:
    settings = app_settings()
    return _feed(None, f"{settings.publisher_name}: releases and revisions", settings.base_uri)


@blueprint.route("/feed/<series>.atom")
def series(series: str) -> Response:
    found = [r for r in _releases() if r.series == series]
    if not found:
        abort(404, description=f"no published series {series}; see {app_minter().feed()}")
    return _feed(
        series, f"{found[0].series_title or series}: releases and revisions", app_minter().series(series)
    )


def _releases() -> list[Release]:
    snapshot = current_app.extensions["localindex_snapshots"].current()
    return list(snapshot.releases.values()) if snapshot else []


def _feed(series: str | None, title: str, page: str) -> Response:
    settings, minter = app_settings(), app_minter()
    revisions = [r for release in _releases() if series in (None, release.series) for r in release.revisions]
    revisions.sort(key=lambda r: (r.issued_date, r.published, r.dataset), reverse=True)
    feed = ElementTree.Element(_atom("feed"))
    _text(feed, "id", minter.feed(series))
    _text(feed, "title", title)
    newest = (
        _instant(revisions[0].issued_date) if revisions else datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    _text(feed, "updated", newest)
    _link(feed, "self", minter.feed(series), MEDIA_TYPE)
    _link(feed, "alternate", page, "text/html")
    _text(ElementTree.SubElement(feed, _atom("author")), "name", settings.publisher_name)
    for revision in revisions:
        _entry(feed, revision, publisher_of(revision, settings).name)
    body = ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)
    response = Response(body, mimetype=MEDIA_TYPE)
    response.cache_control.public = True
    response.cache_control.max_age = SHORT_SECONDS  # a new release or revision shows within five minutes
    return response


def _entry(feed: ElementTree.Element, revision: Release, publisher: str) -> None:
    entry = ElementTree.SubElement(feed, _atom("entry"))
    _text(entry, "id", revision.dataset)
    title = revision.title or revision.name
    _text(entry, "title", title if revision.revision == 1 else f"{title}, revision {revision.revision}")
    _text(entry, "updated", _instant(revision.issued_date))
    _text(entry, "published", _instant(revision.issued_date))
    _text(ElementTree.SubElement(entry, _atom("author")), "name", publisher)
    _link(entry, "alternate", revision.dataset, "text/html")
    _text(entry, "summary", _summary(revision))


def _summary(revision: Release) -> str:
    """What the release is, what it corrects and whether it still stands, in words."""
    parts = [revision.description or revision.title or revision.name]
    if revision.revision > 1:
        note = f": {revision.revision_note}" if revision.revision_note else "."
        parts.append(f"Revision {revision.revision} replaces revision {revision.revision - 1}{note}")
    if revision.replaced_by:
        parts.append(f"Replaced on {revision.replaced} by {revision.replaced_by}.")
    return " ".join(parts)


def _atom(name: str) -> str:
    return f"{{{ATOM}}}{name}"


def _text(parent: ElementTree.Element, name: str, text: str) -> None:
    ElementTree.SubElement(parent, _atom(name)).text = text


def _link(parent: ElementTree.Element, rel: str, href: str, media_type: str) -> None:
    ElementTree.SubElement(parent, _atom("link"), {"rel": rel, "href": href, "type": media_type})


def _instant(day: str) -> str:
    """An ISO date as the RFC 3339 instant Atom dates need: the start of the day, UTC."""
    return f"{day}T00:00:00Z"
