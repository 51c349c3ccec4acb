"""Build a set of datasets under one lock, then publish one snapshot of the result."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack

from .compute.spi import MethodError
from .config import Settings
from .downloads import WorkbookWriter
from .errors import InputError
from .inputs.datasets import DatasetSpec
from .progress import task
from .rdf.catalog import catalog_ntriples
from .rdf.uris import Minter
from .release import Outcome, build_release, ensure_vocabulary, vocabulary_graph_content
from .store import PublishingStore, Registry, build_lock, current_snapshot, open_writable


def build_all(
    settings: Settings,
    specs: list[DatasetSpec],
    *,
    force: bool = False,
    full_shacl: bool = False,
    only_areas: set[str] | None = None,
    progress: Callable[[str], None] = print,
) -> list[Outcome]:
    """Build each dataset; a failure (bad input or invalid release) leaves its live release as it was."""
    outcomes = []
    with build_lock(settings), ExitStack() as stack:
        store = stack.enter_context(open_writable(settings))
        loader = ThreadPoolExecutor(max_workers=1)  # the store loads one release while the next is built
        loading: list[Future] = []
        workbooks = stack.enter_context(WorkbookWriter())
        registry = Registry(settings)
        minter = Minter.of(settings)
        if ensure_vocabulary(store, registry, minter):
            registry.save()
            progress("vocabulary graph loaded from vocab/")
        datasets = stack.enter_context(task("datasets", len(specs), "datasets"))
        for spec in specs:
            progress(f"{spec.name}:")
            for version in unpublished_revisions(spec, registry):
                try:
                    outcome = build_release(
                        version,
                        settings,
                        registry,
                        force=force,
                        full_shacl=full_shacl,
                        only_areas=only_areas,
                        progress=progress,
                        workbooks=workbooks,
                    )
                except (InputError, MethodError) as error:
                    progress(f"  {spec.name}: bad input, nothing was published:\n{error}")
                    outcome = Outcome(spec.name, "failed", error=str(error))
                if outcome.status == "failed" and outcome.report is not None:
                    progress(outcome.report.render())
                if outcome.ntriples is not None:
                    loading.append(loader.submit(store.load_release, outcome.graph, outcome.ntriples))
                outcomes.append(outcome)
                if outcome.status == "failed":
                    break  # a later revision must not take the number of one that failed
            datasets(1)
        loader.shutdown(wait=True)
        for loaded in loading:
            loaded.result()  # a failed load raises here, before anything is published
        publish_snapshot(settings, store, registry, progress)
    for outcome in outcomes:
        if outcome.superseded is not None:  # no longer in the live snapshot
            shutil.rmtree(outcome.superseded, ignore_errors=True)
    return outcomes


def unpublished_revisions(spec: DatasetSpec, registry: Registry) -> list[DatasetSpec]:
    """What to build for an edition: its earlier revisions (datasets.toml `earlier`) that the registry
    has not yet published, in order, then the current definition (unchanged, it is reused)."""
    current = registry.releases.get(spec.name)
    published = current.get("revision", 1) if current else 0
    *earlier, latest = spec.revisions()
    return [*earlier[published:], latest]


def publish_snapshot(settings: Settings, store: PublishingStore, registry: Registry, progress) -> None:
    """Bring the catalogue graph and the store in line with the registry, then publish a snapshot
    if anything changed (called under the build lock, by builds and by a hub's harvest)."""
    minter = Minter.of(settings)
    _, vocabulary = vocabulary_graph_content(minter)
    publisher = (settings.publisher_name, settings.publisher_uri)
    catalog_key, catalog = catalog_ntriples(registry.releases, minter, publisher)
    if registry.state["catalog"].get("key") != catalog_key:
        store.replace_graph(minter.catalog_graph, catalog)
        registry.state["catalog"] = {"graph": minter.catalog_graph, "key": catalog_key}
        registry.save()
        progress("catalogue graph updated")
    small_graphs = {minter.vocabulary_graph: vocabulary, minter.catalog_graph: catalog}
    changed = store.sync(registry, small_graphs, progress)
    snapshot = current_snapshot(settings)
    if changed or snapshot is None or snapshot.manifest.get("generation") != registry.generation_name:
        path = store.snapshot(registry)
        progress(f"published snapshot {path.name}")
