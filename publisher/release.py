"""Build one dataset release end to end: table → checks → files → staged graph → checks → publish.

A release is published only if every layer of the gate passes; otherwise its staged graph and
files are removed and what was live stays live, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from rdflib import Graph, URIRef

from . import __version__
from .compute.indices import builder
from .config import Settings
from .downloads import Notes, WorkbookWriter, kind_of, write_parquet
from .gate import SH, TABLE_RULES, Report, check_release_rdf, check_shacl, check_table, sample_points
from .inputs.bundle import sha256_of
from .inputs.datasets import DatasetSpec
from .inputs.publishers import publisher_of
from .paths import ROOT, SHAPES_DIR, VOCAB_DIR
from .rdf.catalog import catalog_graph, catalog_shapes
from .rdf.csvw import write_csvw
from .rdf.cube import CubeShape, area_triples, compress, observation_ntriples, write_release_ntriples
from .rdf.metadata import Build, Distribution, Revision, SourceFile, dataset_metadata
from .rdf.uris import Minter
from .rdf.vocab import vocabulary_ntriples
from .store import PublishingStore, Registry


@dataclass
class Outcome:
    dataset: str
    status: str  # published | unchanged | failed
    report: Report | None = None
    release_dir: Path | None = None
    observations: int = 0
    triples: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    error: str = ""
    superseded: Path | None = None  # the previous release's files, removed once the new one is live
    graph: str = ""
    ntriples: Path | None = None  # the uncompressed N-Triples, for the store to load, then removed


def software_fingerprint() -> str:
    """Hash of the code, vocabularies, shapes and checks that shape every release."""
    digest = hashlib.sha256(__version__.encode())
    for folder in (ROOT / "publisher", VOCAB_DIR, SHAPES_DIR):
        for path in sorted(folder.rglob("*")):
            if path.suffix in {".py", ".ttl", ".rq"}:
                digest.update(path.relative_to(ROOT).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def config_parts(spec: DatasetSpec, settings: Settings, only_areas) -> dict:
    """What a deployment chose for a release: the dataset definition and the settings it used."""
    return {
        "spec": {k: v for k, v in vars(spec).items() if k not in ("root", "source")},
        "base_uri": settings.base_uri,
        "definitions": settings.definitions,
        "publisher": [settings.publisher_name, settings.publisher_uri],
        "only_areas": sorted(only_areas) if only_areas is not None else None,
    }


def sha256_json(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def release_key(spec: DatasetSpec, settings: Settings, checksums: dict[Path, str], only_areas) -> str:
    parts = {
        **config_parts(spec, settings, only_areas),
        "inputs": {p.name: c for p, c in sorted(checksums.items())},
        "software": software_fingerprint(),
    }
    return sha256_json(parts)


def content_sha256(table: pd.DataFrame, areas: pd.DataFrame) -> str:
    """Checksum of what a release says (observations and area list), independent of how it was built:
    a rebuild that says the same is the same revision, one that says something else is the next."""
    digest = hashlib.sha256()
    for frame in (table, areas):
        digest.update(json.dumps([list(frame.columns), [str(t) for t in frame.dtypes]]).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def next_revision(current: dict | None, content: str, today: str, note: str = "") -> Revision:
    """Revision 1 for a new edition; the same revision when the content is unchanged (a rebuild after
    a software or wording change); otherwise the next one, replacing the current. ``note`` says why
    a revision replaces the one before it (kept only by a revision that replaces one)."""
    if current is None:
        return Revision(1, today, content)
    number = current.get("revision", 1)
    if current.get("content", content) == content:  # releases from before revisions count as unchanged
        issued = current.get("issued", current["published"][:10])
        replaces = current.get("replaces")
        return Revision(number, issued, content, replaces, note if replaces else "")
    return Revision(number + 1, today, content, current["dataset"], note)


def vocabulary_graph_content(minter: Minter) -> tuple[str, bytes]:
    """The vocabulary graph's N-Triples (vocab/*.ttl) and their key."""
    content = vocabulary_ntriples(minter.defs)
    return hashlib.sha256(minter.defs.encode() + content).hexdigest(), content


def ensure_vocabulary(store: PublishingStore, registry: Registry, minter: Minter) -> bool:
    """(Re)load the vocabulary graph when vocab/ or the base URI changed."""
    key, content = vocabulary_graph_content(minter)
    if registry.state["vocabulary"].get("key") == key:
        return False
    store.replace_graph(minter.vocabulary_graph, content)
    registry.state["vocabulary"] = {"graph": minter.vocabulary_graph, "key": key}
    return True


def build_release(
    spec: DatasetSpec,
    settings: Settings,
    registry: Registry,
    *,
    force: bool = False,
    only_areas: set[str] | None = None,
    full_shacl: bool = False,
    progress: Callable[[str], None] = print,
    workbooks: WorkbookWriter | None = None,
) -> Outcome:
    """Build, check and stage one release (``workbooks``: the build's writer, shared by its releases)."""
    if workbooks is None:
        with WorkbookWriter() as workbooks:
            return build_release(
                spec,
                settings,
                registry,
                force=force,
                only_areas=only_areas,
                full_shacl=full_shacl,
                progress=progress,
                workbooks=workbooks,
            )
    minter = Minter.of(settings)
    publisher = publisher_of(spec, settings)
    clock = StepClock(progress, spec.name)
    checksums = {path: sha256_of(path) for path in spec.input_files()}
    key = release_key(spec, settings, checksums, only_areas)
    current = registry.releases.get(spec.name)
    if current and current["key"] == key and Path(current["dir"]).exists() and not force:
        clock.say("unchanged (inputs, settings and software have the same checksum); reusing it")
        return Outcome(spec.name, "unchanged", release_dir=Path(current["dir"]))

    started = datetime.now(UTC).replace(microsecond=0)
    built = builder(spec.builder)(spec, minter, only_areas=only_areas)
    table = built.table
    content = content_sha256(table, built.areas)
    revision = next_revision(current, content, started.date().isoformat(), spec.revision_note)
    shape = CubeShape.of(spec, minter, built.component_dimension, revision.number, built.vocabulary)
    clock.step(
        f"tidy table: {len(table):,} observations of {len(built.areas):,} areas (revision {revision.number})"
    )
    report = Report(spec.name)
    area_codes = set(built.areas["code"])
    report.extend("tabular", TABLE_RULES, check_table(table, spec, shape, minter, area_codes))
    clock.step("tabular checks")
    if not report.ok:
        return _failed(spec, report, clock)

    staging = settings.staging_dir / f"{spec.series}-{spec.edition}-{key[:16]}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    stem = f"{spec.series}-{spec.edition}"
    names = built.areas.set_index("code")["name"]
    csvw_files = write_csvw(table, names, spec, shape, minter, staging, stem)
    typed_tables = write_parquet(csvw_files.tables)
    clock.step("CSVW and Parquet written")
    sources = SourceFile.load_all(spec, checksums)
    source_release = registry.releases.get(spec.source.name) if spec.source is not None else None
    derived_from = None
    if spec.source is not None:
        derived_from = (source_release or {}).get("dataset") or minter.edition(
            spec.source.series, spec.source.edition
        )
    notes = Notes(spec, shape, publisher.name, sources, minter.method(built.method), revision, derived_from)
    workbook_path = staging / f"{stem}.xlsx"
    data_files = [*csvw_files.paths, *(t.parquet for t in typed_tables)]

    def describe() -> Graph:
        """The release's metadata, made once its RDF is written (so the build's end time is known)."""
        build = Build(
            key,
            started,
            datetime.now(UTC).replace(microsecond=0),
            sha256_json(config_parts(spec, settings, only_areas)),
            software_fingerprint(),
            built.checks,
        )
        metadata = dataset_metadata(
            spec,
            shape,
            minter,
            publisher=(publisher.name, publisher.uri),
            build=build,
            revision=revision,
            sources=sources,
            distributions=_distributions(data_files, stem, workbook_path),
            method=built.method,
            derived_from=derived_from,
            areas_without_data=built.areas_without_data,
        )
        if built.describe is not None:
            built.describe(metadata, URIRef(shape.dataset), minter)
        metadata.serialize(staging / f"{stem}-metadata.ttl", format="turtle")
        return metadata

    described: dict[str, Graph] = {}

    def metadata_ntriples() -> bytes:
        workbook.result()  # written beside the observations' RDF; the metadata states its size
        described["metadata"] = describe()
        return described["metadata"].serialize(format="nt", encoding="utf-8")

    ntriples = staging / f"{stem}.nt"
    workbook = workbooks.submit(workbook_path, typed_tables, notes)
    triples = write_release_ntriples(
        ntriples,
        area_triples(built.areas, shape.area_list, spec.publishes_area_facts),
        observation_ntriples(table, shape, minter),
        metadata_ntriples,
    )
    clock.step(f"RDF and Excel workbook written: {triples:,} triples")

    graph = minter.graph(spec.series, spec.edition, key)
    present = set(table["component"].astype(str).unique())
    components = [c.notation for c in shape.concepts if c.notation in present]
    points = None if full_shacl else sample_points(area_codes, components, settings.shacl_sample_points)
    with ThreadPoolExecutor(max_workers=1) as background:  # zlib and polars both leave the GIL
        compressed = background.submit(compress, ntriples)
        check_release_rdf(report, ntriples, csvw_files.metadata, spec, shape, minter, points, clock.step)
        compressed.result()
    release_dir = settings.releases_dir / spec.series / spec.edition / key[:16]
    record = {
        "graph": graph,
        "key": key,
        "dir": str(release_dir),
        "stem": stem,
        "dataset": shape.dataset,
        "observations": len(table),
        "triples": triples,
        "published": started.isoformat(),
        "revision": revision.number,
        "issued": revision.issued,
        "replaces": revision.replaces,
        "revision_note": " ".join(revision.note.split()),
        "content": content,
        "software": __version__,
        "sources": [vars(source) for source in sources],
        # What the API needs to describe and query the release without parsing its RDF.
        "series": spec.series,
        "series_title": spec.series_title,
        "publisher": publisher.record(),
        "licence": spec.licence_uri,
        "edition": spec.edition,
        "title": spec.title,
        # What the dataset is and lacks (e.g. substitute population weights), for the REST answers.
        "description": " ".join(spec.description.split()),
        "missing_values": " ".join(spec.missing_values.split()),
        "builder": spec.builder,
        "period": spec.period,
        "level": spec.geography_level,
        "vintage": spec.geography_vintage,
        "universe": spec.ranking_universe,
        "rank_direction": spec.rank_direction,
        "components": spec.components or [str(c) for c in pd.unique(table["component"])],
        "measures": spec.measures,
        "derived_from": spec.derived_from,
        "method": minter.method(built.method),
        "structure": shape.structure,
        "component_scheme": shape.component_scheme,
        "history": _history(current, revision, shape.dataset, started),
        # The files that hold the release's metadata, which cannot state their own sizes: the catalogue does.
        "sizes": {
            p.name: p.stat().st_size for p in (staging / f"{stem}.nt.gz", staging / f"{stem}-metadata.ttl")
        },
    }
    prospective = {**registry.releases, spec.name: record}
    catalog = catalog_graph(prospective, minter, (settings.publisher_name, settings.publisher_uri))
    shapes = catalog_shapes(minter.defs)
    rules = sorted({str(m).split(":")[0] for m in shapes.objects(None, SH.message)})
    report.extend("catalogue", rules, check_shacl(described["metadata"] + catalog, shapes))
    clock.step("catalogue profile")
    if not report.ok:
        shutil.rmtree(staging, ignore_errors=True)
        return _failed(spec, report, clock)
    shutil.rmtree(release_dir, ignore_errors=True)
    release_dir.parent.mkdir(parents=True, exist_ok=True)
    (staging / "validation.txt").write_text(report.render() + "\n" + "\n".join(report.checked) + "\n")
    staging.rename(release_dir)
    registry.releases[spec.name] = record
    registry.save()
    clock.say(
        f"validated and registered {shape.dataset} (revision {revision.number}, "
        f"{len(table):,} observations, {triples:,} triples)"
    )
    superseded = None  # a rebuilt revision's old files; a replaced revision's files stay and resolve
    if current and current.get("revision", 1) == revision.number and Path(current["dir"]) != release_dir:
        superseded = Path(current["dir"])
    return Outcome(
        spec.name,
        "published",
        report,
        release_dir,
        len(table),
        triples,
        clock.timings,
        superseded=superseded,
        graph=graph,
        ntriples=release_dir / ntriples.name,
    )


def _distributions(data_files: list[Path], stem: str, workbook: Path) -> list[Distribution]:
    """Every file of the release that is a form of its data, with the sizes of those written before its
    metadata; the N-Triples and the Turtle hold the metadata, so the catalogue states their sizes. The
    workbook has its size if the build wrote it, or is made on request (publisher/downloads.py)."""
    on_request = not workbook.exists()
    sized = [(p.name, p.stat().st_size) for p in [*data_files, *([] if on_request else [workbook])]]
    unsized = [(f"{stem}.nt.gz", None), (f"{stem}-metadata.ttl", None)]
    distributions = []
    for name, size in sized + unsized:
        kind = kind_of(name)
        distributions.append(
            Distribution(name, kind.media_type, kind.title.format(name=name), kind.standard, size)
        )
    if on_request:
        kind = kind_of(workbook.name)
        title = f"{kind.title.format(name=workbook.name)} (made when first asked for)"
        distributions.append(Distribution(workbook.name, kind.media_type, title, kind.standard, None, True))
    return distributions


def _history(current: dict | None, revision: Revision, dataset: str, started: datetime) -> list[dict]:
    """Earlier revisions of the edition, oldest first; the current one joins them when replaced."""
    if current is None:
        return []
    history = current.get("history", [])
    if current.get("revision", 1) == revision.number:
        return history
    replaced = {k: v for k, v in current.items() if k != "history"}
    return [*history, {**replaced, "replaced_by": dataset, "replaced": started.date().isoformat()}]


def _failed(spec: DatasetSpec, report: Report, clock: StepClock) -> Outcome:
    clock.say("FAILED validation; nothing was published")
    return Outcome(spec.name, "failed", report, timings=clock.timings)


class StepClock:
    """Progress lines with elapsed seconds per step, kept for benchmarks."""

    def __init__(self, progress: Callable[[str], None], name: str):
        self.progress, self.name = progress, name
        self.start = self.last = time.perf_counter()
        self.timings: dict[str, float] = {}

    def step(self, what: str) -> None:
        now = time.perf_counter()
        self.timings[what] = now - self.last
        self.progress(f"  {self.name}: {what} ({now - self.last:.1f} s)")
        self.last = now

    def say(self, what: str) -> None:
        self.progress(f"  {self.name}: {what} [{time.perf_counter() - self.start:.1f} s in all]")
