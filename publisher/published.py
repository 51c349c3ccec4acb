"""The web API's one face onto published data: what it may know of the publisher, in one module.

The API (api/) imports from here and nowhere else in ``publisher``. Everything it reads is here:
the published snapshot and its releases as typed records (``PublishedSnapshot``, ``Release``), the
observations, geography and populations behind the REST API, the URIs it mints, the vocabulary's
measures, area summaries and aggregation by rule, the boundaries it draws, the submission standard
it documents, and read access to the store. Most names are re-exported or thinly wrapped, so the
logic stays where the data flow puts it (inputs/, compute/, rdf/, store/); what is new is the
record, so that the publisher can change its stages without the API noticing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
from rdflib import Graph

from .compute.aggregate import NotAggregable, aggregate_by_rule
from .compute.indices.imd_summary import lsoa_populations
from .compute.summaries import IMD_ONLY, area_summaries, rank_descending, ranks_where_complete
from .compute.summaries import MEASURES as SUMMARY_MEASURES
from .config import Settings, load_settings
from .downloads import kind_of as download_kind
from .downloads import requested_names, requested_workbook
from .inputs.boundaries import LEVELS as BOUNDARY_LEVELS
from .inputs.boundaries import boundaries, boundary_note
from .inputs.datasets import load_datasets
from .inputs.gazetteer import Gazetteer, Related, Vintage, gazetteer
from .inputs.geography import ENGLAND, ENTITIES, LEVELS, VINTAGES, Geography
from .inputs.ingest import read_input
from .inputs.publishers import Publisher, deployment_publisher
from .inputs.search import MAX_QUERY_CHARS as MAX_SEARCH_CHARS
from .inputs.search import TIERS as SEARCH_TIERS
from .inputs.search import search_index
from .inputs.submission.manifest import REQUIRED as MANIFEST_REQUIRED
from .inputs.submission.manifest import TEXT_LIMITS as MANIFEST_TEXT_LIMITS
from .inputs.submission.standard import FORMAT_DIR as INPUT_FORMAT_DIR
from .inputs.submission.standard import FORMAT_VERSION as INPUT_FORMAT_VERSION
from .inputs.submission.standard import error_codes as input_format_errors
from .inputs.submission.standard import table_format as input_format_table
from .rdf.catalog import latest_release, void_graph
from .rdf.csvw import read_csvw_table
from .rdf.uris import GEOGRAPHY, OGL_V3, QB, SDMX_ATTRIBUTE, SDMX_DIMENSION, STATISTICAL_ENTITY, Minter
from .rdf.uris import area as area_uri
from .rdf.vocab import measures as vocabulary_measures
from .store import Snapshot, current_snapshot, open_reader
from .store.remote import ExternalStoreError

__all__ = [
    "BOUNDARY_LEVELS",
    "ENGLAND",
    "ENTITIES",
    "GEOGRAPHY",
    "IMD_ONLY",
    "INPUT_FORMAT_DIR",
    "INPUT_FORMAT_VERSION",
    "LEVELS",
    "MAX_SEARCH_CHARS",
    "MANIFEST_REQUIRED",
    "MANIFEST_TEXT_LIMITS",
    "OGL_V3",
    "ONS_POPULATION",
    "QB",
    "SDMX_ATTRIBUTE",
    "SDMX_DIMENSION",
    "SEARCH_TIERS",
    "STATISTICAL_ENTITY",
    "SUMMARY_MEASURES",
    "VINTAGES",
    "ExternalStoreError",
    "Gazetteer",
    "Geography",
    "Minter",
    "NotAggregable",
    "PublishedSnapshot",
    "Publisher",
    "Related",
    "Release",
    "Settings",
    "Vintage",
    "aggregate_by_rule",
    "area_summaries",
    "area_uri",
    "boundaries",
    "boundary_note",
    "current_published",
    "download_kind",
    "gazetteer",
    "input_format_errors",
    "input_format_table",
    "latest_edition",
    "load_geography",
    "load_settings",
    "observations",
    "ons_population",
    "open_reader",
    "publisher_of",
    "rank_descending",
    "requested_names",
    "requested_workbook",
    "search_index",
    "summary_population",
    "ranks_where_complete",
    "vocabulary_measures",
    "void_description",
]

ONS_POPULATION = "population/lsoa_mid2018.csv.gz"  # under the bundled data directory
TIDY_TYPES = {"area": str, "period": str, "component": str, "measure": str, "unit": str, "status": str}


@dataclass(frozen=True)
class Release:
    """One revision of a published edition, as the registry recorded it when the gate passed it.

    The registry and snapshot manifests store a release as a JSON dict of some 35 keys, written by
    release.py (own releases) and hub/harvest.py (a hub's copies), some of them only by one of the
    two or only since a later version. The API used to read that dict by key, with its own default
    at each of more than a hundred places; this record reads it once (``from_record``), states each
    field's type and default, and is all the API sees. A key a record lacks takes the field's default.
    """

    name: str  # 'series/edition'; on a hub, a harvested one is 'member/series/edition'
    dataset: str  # the revision's dataset URI
    graph: str  # the named graph that holds it
    directory: Path  # its files (CSVW, N-Triples, metadata)
    stem: str  # its files' common name
    series: str
    edition: str
    observations: int
    published: str  # ISO time it was built (harvested: fetched)
    series_title: str = ""
    revision: int = 1
    issued: str | None = None  # ISO date the revision was first published (own releases)
    title: str | None = None
    description: str = ""  # own releases: what it is, how computed, any substitute input
    missing_values: str = ""  # own releases: what is absent and why
    period: str | None = None
    level: str | None = None  # geography level of its areas: lsoa, ward, lad, ...
    vintage: str | None = None  # of the areas' codes, e.g. LAD19
    universe: int | None = None  # how many areas its ranks run over
    rank_direction: str = ""  # e.g. '1 = most deprived'
    components: tuple[str, ...] = ()
    measures: tuple[str, ...] = ()
    builder: str | None = None  # how it was computed: imd, imd-summary, spi, submission, federated
    derived_from: str | None = None  # 'series/edition' of the release it summarises
    method: str | None = None  # URI of the method
    structure: str | None = None  # URI of its qb:DataStructureDefinition
    component_scheme: str = ""  # notation of the concept scheme of its components
    triples: int | None = None
    licence: str | None = OGL_V3
    publisher: Publisher | None = None  # None: this deployment
    member: str | None = None  # harvested: the member it came from, with its dump, checksum and time
    dump: str | None = None
    sha256: str | None = None
    fetched: str | None = None
    revision_note: str = ""  # why this revision replaces the one before it
    replaced_by: str | None = None  # replaced revisions: the dataset URI of the revision that replaced it
    replaced: str = ""  # and the date
    history: tuple[Release, ...] = field(default=(), repr=False)  # earlier revisions, oldest first

    @property
    def order(self) -> tuple[str, str]:
        """Where the edition stands among its series': by period, then edition (history, scorecards)."""
        return (self.period or "", self.edition)

    @classmethod
    def from_record(cls, name: str, record: dict[str, Any]) -> Release:
        """The record of a registry or manifest entry ``record`` registered as ``name``."""
        stated = record.get("publisher")
        return cls(
            name=name,
            dataset=record["dataset"],
            graph=record["graph"],
            directory=Path(record["dir"]),
            stem=record["stem"],
            series=record["series"],
            series_title=record.get("series_title", ""),
            edition=record["edition"],
            observations=record["observations"],
            published=record["published"],
            revision=record.get("revision", 1),
            issued=record.get("issued"),
            title=record.get("title"),
            description=record.get("description", ""),
            missing_values=record.get("missing_values", ""),
            period=record.get("period"),
            level=record.get("level"),
            vintage=record.get("vintage"),
            universe=record.get("universe"),
            rank_direction=record.get("rank_direction", ""),
            components=tuple(record.get("components") or ()),
            measures=tuple(record.get("measures") or ()),
            builder=record.get("builder"),
            derived_from=record.get("derived_from") or None,
            method=record.get("method"),
            structure=record.get("structure"),
            component_scheme=record.get("component_scheme", ""),
            triples=record.get("triples"),
            licence=record.get("licence", OGL_V3),
            publisher=Publisher(**stated) if isinstance(stated, dict) else None,
            member=record.get("member"),
            dump=record.get("dump"),
            sha256=record.get("sha256"),
            fetched=record.get("fetched"),
            revision_note=record.get("revision_note", ""),
            replaced_by=record.get("replaced_by"),
            replaced=record.get("replaced", ""),
            history=tuple(cls.from_record(name, old) for old in record.get("history", [])),
        )

    @property
    def issued_date(self) -> str:
        """The date the revision was issued; for a harvested release, the day it was fetched."""
        return self.issued if self.issued is not None else self.published[:10]

    @property
    def revisions(self) -> tuple[Release, ...]:
        """Every revision of the edition, oldest first, this one last (each without history)."""
        return (*self.history, replace(self, history=()))

    def observation_uri(self, area: str, period: str, component: str, measure: str) -> str:
        return f"{self.dataset}/obs/{area}/{period}/{component}/{measure}"

    def revision_record(self, revision: int | None) -> Release | None:
        """This edition's revision ``revision`` (this one when None), or None when there is none."""
        if revision is None or self.revision == revision:
            return self
        return next((old for old in self.history if old.revision == revision), None)


@dataclass(frozen=True)
class PublishedSnapshot:
    """One published state of the store, as the API reads it: where it is, which graphs it unites,
    and its releases as records. Made once per snapshot (``current_published``), not per request."""

    path: Path
    graphs: list[str]  # the default graph's: current revisions, vocabulary, catalogue
    archived_graphs: list[str]  # replaced revisions, named only with FROM or GRAPH
    releases: dict[str, Release]  # own releases by 'series/edition'
    harvested: dict[str, Release]  # on a hub, its copies of members' releases by 'member/series/edition'
    snapshot: Snapshot = field(repr=False)  # the store's own view, for the functions below

    @classmethod
    def of(cls, snapshot: Snapshot) -> PublishedSnapshot:
        manifest = snapshot.manifest
        return cls(
            path=snapshot.path,
            graphs=snapshot.graphs,
            archived_graphs=snapshot.archived_graphs,
            releases={n: Release.from_record(n, r) for n, r in snapshot.releases.items()},
            harvested={n: Release.from_record(n, r) for n, r in manifest.get("harvested", {}).items()},
            snapshot=snapshot,
        )

    @property
    def all_releases(self) -> dict[str, Release]:
        """Own releases and, on a hub, the harvested ones."""
        return {**self.releases, **self.harvested}

    def by_dataset(self) -> dict[str, tuple[Release, bool]]:
        """Dataset URI of every revision of the own releases → (its record, whether it is current)."""
        found: dict[str, tuple[Release, bool]] = {}
        for release in self.releases.values():
            found[release.dataset] = (release, True)
            for old in release.history:
                found[old.dataset] = (old, False)
        return found


def current_published(settings: Settings) -> PublishedSnapshot | None:
    """What is published now (var/snapshots/CURRENT), or None before the first build."""
    snapshot = current_snapshot(settings)
    return None if snapshot is None else PublishedSnapshot.of(snapshot)


def latest_edition(snapshot: PublishedSnapshot, series: str) -> Release | None:
    """The newest edition of ``series`` (by period, then edition), as the catalogue's dcat:last says."""
    found = latest_release(snapshot.snapshot.releases, series)
    return None if found is None else snapshot.releases[f"{found['series']}/{found['edition']}"]


def void_description(snapshot: PublishedSnapshot, minter: Minter) -> Graph:
    """VoID of the snapshot, by the function that writes the catalogue graph's VoID."""
    return void_graph(snapshot.snapshot.releases, minter)


def publisher_of(release: Release, settings: Settings) -> Publisher:
    """Who published a release: the registered council or charity its record names, else this
    deployment."""
    return release.publisher or deployment_publisher(settings)


def observations(release: Release) -> pd.DataFrame:
    """A release's tidy observation table (area, period, component, measure, value, unit, status),
    from its own CSVW, which the gate proved says what its RDF says; a harvested release's from the
    table the hub wrote when it checked the member's dump."""
    if release.member:
        table = pd.read_csv(release.directory / "observations.csv.gz", dtype=TIDY_TYPES)
        table["status"] = table["status"].fillna("")
        return table
    return read_csvw_table(release.directory / f"{release.stem}.csv-metadata.json")


def load_geography(settings: Settings) -> Geography:
    """The bundled ONS lookups: areas, names, parents and children per vintage."""
    return Geography.load(settings.datasets_file.parent)


def summary_population(settings: Settings, release: Release) -> tuple[pd.DataFrame, str] | None:
    """(lsoa, component, population) rows that the summaries derived from ``release`` are weighted
    by, and the input file they come from (None: nothing is derived from it), so that a summary
    computed on request weighs an edition as its published summaries do."""
    derived = [
        s for s in load_datasets(settings.datasets_file) if s.derived_from == release.name and s.source
    ]
    if not derived or "population" not in derived[0].inputs:
        return None
    spec = derived[0]
    return lsoa_populations(spec, pd.DataFrame({"measure": []})), spec.inputs["population"]


def ons_population(settings: Settings) -> pd.Series:
    """ONS mid-2018 population estimates by LSOA (the bundled SAPE21DT11 table), the denominator of
    summaries of an edition that publishes none of its own."""
    path = settings.datasets_file.parent / ONS_POPULATION
    frame = read_input(path, {"lsoa": "code", "population": "decimal"}, key="lsoa")
    return frame.set_index("lsoa")["population"]
