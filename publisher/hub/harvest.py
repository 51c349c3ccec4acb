"""Harvest member councils' releases into a hub (DESIGN.md §8).

For each member of the hub configuration: read its DCAT catalogue, fetch the dump of each current
release in the series the hub expects, check it with the same Data Cube checks the member's own gate
ran (plus: it uses the hub's shared definitions, a compatible geography vintage, and makes no
statement about anyone else's resources), and load it into its own named graph with provenance.
A member that is down, slow, too big or sends something invalid is reported, and what the hub
harvested from it before stays live: nothing partial is ever loaded, and a harvest publishes one
snapshot at the end, like a build. The checks are in hub/checks.py; fetching, with its limits, in
hub/fetch.py.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyoxigraph as ox
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF

from ..build import publish_snapshot
from ..compute import tidy
from ..config import Settings
from ..inputs.datasets import DatasetSpec
from ..inputs.geography import ENTITIES, VINTAGES, Geography
from ..paths import DATA_DIR, QUERIES_DIR
from ..rdf.metadata import QB
from ..rdf.uris import Minter
from ..release import build_release, ensure_vocabulary, vocabulary_graph_content
from ..store import PublishingStore, Registry, build_lock, open_writable
from .checks import HARVEST_GRAPH, Offered, check_staged, component_dimension, offered_releases, staged
from .config import HubConfig, Member
from .fetch import Fetcher, HarvestError, read_dump

OBSERVATIONS = QUERIES_DIR / "observations.rq"


@dataclass
class HarvestReport:
    """What happened to one member (``name`` 'member ID') or one of the hub's summaries."""

    name: str
    status: str = "ok"  # ok | failed
    harvested: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def render(self) -> str:
        lines = [f"{self.name}: {self.status}"]
        lines += [f"  harvested {d}" for d in self.harvested]
        lines += [f"  unchanged {d}" for d in self.unchanged]
        lines += [f"  PROBLEM {p}" for p in self.problems]
        return "\n".join(lines)


def federate(
    settings: Settings, hub: HubConfig, progress: Callable[[str], None] = print
) -> list[HarvestReport]:
    """Harvest every member; publish one snapshot with what is new and valid."""
    minter = Minter.of(settings)
    fetcher = Fetcher(hub.timeout_s, int(hub.max_download_mb * 1024 * 1024))
    reports = []
    with build_lock(settings), open_writable(settings) as store:
        registry = Registry(settings)
        if ensure_vocabulary(store, registry, minter):
            registry.save()
        _, vocabulary = vocabulary_graph_content(minter)
        for member in hub.members:
            report = HarvestReport(f"member {member.id}")
            reports.append(report)
            progress(f"{member.id}: reading {member.catalog}")
            try:
                offered = offered_releases(member, fetcher.get(member, member.catalog, "text/turtle"))
            except HarvestError as error:
                report.status = "failed"
                report.problems.append(f"catalogue: {error}; what was harvested before stays")
                continue
            for release in offered:
                _harvest(release, member, fetcher, settings, registry, minter, vocabulary, report, progress)
        registry.save()
        reports.extend(_summaries(settings, hub, registry, store, progress))
        publish_snapshot(settings, store, registry, progress)
    return reports


def federated_spec(settings: Settings, hub: HubConfig, level: str, lsoa_releases: list[dict]) -> DatasetSpec:
    """The definition of one cross-council summary dataset, over the harvested LSOA releases."""
    geography = Geography.load(DATA_DIR)
    prefixes = sorted(code for code, (entity_level, _) in ENTITIES.items() if entity_level == level)
    members = ", ".join(sorted({r["member"] for r in lsoa_releases}))
    edition = lsoa_releases[0]["edition"]
    return DatasetSpec(
        series=f"imd-{level}-members",
        series_title=f"{hub.title}: IMD summaries by {level} over the members' LSOAs, all editions",
        edition=edition,
        builder="federated",
        period=edition,
        title=f"{hub.title}: IMD {edition} summaries by {level} over the LSOAs of its members",
        description=(
            f"Population-weighted IMD {edition} average score and average rank, and the proportion of "
            f"LSOAs in the most deprived 10% nationally, for every {level} that an LSOA published by a "
            f"member of {hub.title} ({members}) falls in, computed by the hub from the members' own "
            "releases over their LSOAs only, with the population covered and its share of the whole "
            f"{level}. Where that share is below 1 the summary is partial (obsStatus 'partial'): it is "
            f"not the {level}'s figure. Derived statistics, not official IoD outputs."
        ),
        missing_values="An average score is missing where a member LSOA lacks a score.",
        source_issued="",
        geography_level=level,
        geography_vintage=VINTAGES[level],
        area_code_pattern=f"^({'|'.join(prefixes)})[0-9]{{6}}$",
        ranking_universe=geography.lsoas[level].nunique(),
        components=["imd"],
        measures=[
            "average-score",
            "average-rank",
            "proportion-most-deprived-10pc",
            "population",
            "population-coverage",
        ],
        inputs={
            "lsoa": [
                str((Path(r["dir"]) / f"{r['stem']}.nt.gz").relative_to(settings.var_dir))
                for r in lsoa_releases
            ]
        },
        rank_direction="not ranked (partial coverage)",
        root=settings.var_dir,
    )


def _summaries(
    settings: Settings, hub: HubConfig, registry: Registry, store: PublishingStore, progress
) -> list[HarvestReport]:
    """Build the hub's own summary datasets from the union of its members' LSOA releases."""
    lsoa_releases = sorted(
        (h for h in registry.harvested.values() if h["series"] == "imd-lsoa"), key=lambda h: h["member"]
    )
    editions = {h["edition"] for h in lsoa_releases}
    reports = []
    for edition in sorted(editions):
        for level in hub.levels:
            releases = [h for h in lsoa_releases if h["edition"] == edition]
            spec = federated_spec(settings, hub, level, releases)
            report = HarvestReport(f"summary {spec.name}")
            outcome = build_release(spec, settings, registry, progress=progress)
            if outcome.ntriples is not None:
                store.load_release(outcome.graph, outcome.ntriples)
            if outcome.status == "failed":
                report.status = "failed"
                report.problems.append(outcome.report.render() if outcome.report else outcome.error)
            elif outcome.status == "published":
                report.harvested.append(registry.releases[spec.name]["dataset"])
            else:
                report.unchanged.append(registry.releases[spec.name]["dataset"])
            reports.append(report)
    return reports


def _harvest(
    release: Offered,
    member: Member,
    fetcher: Fetcher,
    settings: Settings,
    registry: Registry,
    minter: Minter,
    vocabulary: bytes,
    report: HarvestReport,
    progress: Callable[[str], None],
) -> None:
    key = f"{member.id}/{release.series}/{release.edition}"
    harvested = registry.state.setdefault("harvested", {})
    previous = harvested.get(key)
    progress(f"  {member.id}: fetching {release.dump}")
    try:
        body = fetcher.get(member, release.dump, "application/n-triples, application/gzip")
        digest = hashlib.sha256(body).hexdigest()
        if previous and previous["sha256"] == digest and previous["dataset"] == release.dataset:
            report.unchanged.append(release.dataset)
            return
        ntriples = read_dump(body, fetcher.max_bytes)
        store = staged(ntriples, minter, vocabulary)
        problems = check_staged(store, member, release, minter, vocabulary)
    except SyntaxError as error:
        problems = [f"not valid N-Triples: {error}"]
    except HarvestError as error:
        problems = [str(error)]
    if problems:
        report.status = "failed"
        kept = f"; the hub keeps {previous['dataset']}" if previous else "; nothing was loaded"
        report.problems += [f"{release.dataset}: {p}{kept}" for p in problems]
        return
    directory = settings.var_dir / "harvest" / member.id / release.series / release.edition / digest[:16]
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{release.series}-{release.edition}"
    with gzip.open(directory / f"{stem}.nt.gz", "wb", compresslevel=1) as handle:
        handle.write(ntriples)
        handle.write(_provenance(minter, member, release, digest))
    described = describe_release(store, release, minter)
    described["table"].to_csv(directory / "observations.csv.gz", index=False)
    fetched = datetime.now(UTC).replace(microsecond=0).isoformat()
    harvested[key] = {
        **described["fields"],
        "member": member.id,
        "dataset": release.dataset,
        "series": release.series,
        "edition": release.edition,
        "dump": release.dump,
        "sha256": digest,
        "fetched": fetched,
        "published": fetched,
        "graph": f"{minter.base}graph/member/{member.id}/{release.series}/{release.edition}/{digest[:16]}",
        "dir": str(directory),
        "stem": stem,
    }
    report.harvested.append(release.dataset)
    progress(f"  {member.id}: harvested {release.dataset} ({len(ntriples):,} bytes of N-Triples)")


def describe_release(store: ox.Store, release: Offered, minter: Minter) -> dict:
    """What the REST API needs of a harvested release: its fields and its tidy observation table."""
    graph = ox.NamedNode(HARVEST_GRAPH)
    dataset = ox.NamedNode(release.dataset)

    def value(predicate: str) -> str:
        found = next(iter(store.quads_for_pattern(dataset, ox.NamedNode(predicate), None, graph)), None)
        return "" if found is None else found.object.value

    structure = value(str(QB.structure))
    dimension = component_dimension(store, graph, structure, minter)
    rows = store.query(
        OBSERVATIONS.read_text(),
        default_graph=graph,
        substitutions={
            ox.Variable("dataset"): dataset,
            ox.Variable("componentDimension"): ox.NamedNode(dimension),
        },
    )
    table = pd.DataFrame(
        [
            [_code(r["area"]), _code(r["period"]), _code(r["component"]), _code(r["measure"]),
             float(r["value"].value) if r["value"] is not None else None, _code(r["unit"]),
             _code(r["status"]) if r["status"] is not None else ""]
            for r in rows
        ],
        columns=tidy.COLUMNS,
    )  # fmt: skip
    fields = {
        "title": value(str(DCTERMS.title)),
        "level": value(minter.ontology("geographyLevel")),
        "vintage": value(minter.ontology("geographyVintage")),
        "universe": int(value(minter.ontology("rankingUniverse")) or 0),
        "rank_direction": value(minter.ontology("rankDirection")),
        "period": sorted(set(table["period"]))[0] if len(table) else "",
        "components": sorted(set(table["component"])),
        "measures": sorted(set(table["measure"])),
        "observations": len(table),
        "method": value(minter.ontology("method")),
        "structure": structure,
        "revision": int(value(minter.ontology("revision")) or 1),
    }
    return {"fields": fields, "table": table}


def _code(node) -> str:
    """The code at the end of an IRI (areas, periods, concepts, measures), or a literal's text."""
    return node.value.rstrip("/").rsplit("/", 1)[-1]


def _provenance(minter: Minter, member: Member, release: Offered, digest: str) -> bytes:
    """How the hub came to hold a member's release, stated in the same graph as the release."""
    li = Namespace(minter.ontology(""))
    prov = Namespace("http://www.w3.org/ns/prov#")
    graph = Graph()
    harvest = URIRef(f"{minter.base}id/harvest/{member.id}/{release.series}/{release.edition}/{digest[:16]}")
    graph.add((harvest, RDF.type, prov.Activity))
    graph.add((harvest, prov.used, URIRef(release.dump)))
    graph.add((harvest, prov.wasAssociatedWith, URIRef(member.base_uri)))
    graph.add((harvest, li.sha256, Literal(digest)))
    graph.add((harvest, prov.endedAtTime, Literal(datetime.now(UTC).replace(microsecond=0))))
    graph.add((harvest, DCTERMS.source, URIRef(release.dataset)))
    return graph.serialize(format="nt", encoding="utf-8")
