"""The `localindex` command: build, validate and serve."""

from __future__ import annotations

import errno
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from .config import load_settings
from .inputs.datasets import all_datasets, load_datasets, select
from .store.remote import ExternalStoreError

UNCHANGED = "Nothing new was published: what was published before is still served."


class Commands(click.Group):
    """Every command: an external store that fails mid-publication is a clear error, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ExternalStoreError as error:
            raise click.ClickException(f"{error}\n{UNCHANGED}") from None
        except OSError as error:
            if error.errno not in (errno.ENOSPC, errno.EDQUOT) and "No space left" not in str(error):
                raise
            detail = f"writing {error.filename}" if error.filename else str(error)
            raise click.ClickException(f"No space left on device ({detail}).\n{UNCHANGED}") from None


@click.group(cls=Commands)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Settings file (default: $LOCALINDEX_CONFIG or ./localindex.toml).",
)
@click.pass_context
def main(context: click.Context, config_path: str | None) -> None:
    """Publish English local-area indices as validated linked open data."""
    context.obj = load_settings(config_path)


@main.command()
@click.argument("datasets", nargs=-1)
@click.option("--force", is_flag=True, help="Rebuild even when inputs, settings and software are unchanged.")
@click.option("--full-shacl", is_flag=True, help="Run pyshacl on every observation, not a sample (slow).")
@click.pass_obj
def build(settings, datasets: tuple[str, ...], force: bool, full_shacl: bool) -> None:
    """Build, validate and publish DATASETS (series or series/edition; default: all).

    A dataset whose inputs, settings and software are unchanged is reused, not rebuilt.
    Exits non-zero if any dataset fails validation; what was published before stays live.
    """
    from .build import build_all

    specs = select(all_datasets(settings), list(datasets))
    started = time.perf_counter()
    with _progress_lines() as say:
        outcomes = build_all(settings, specs, force=force, full_shacl=full_shacl, progress=say)
    failed = [o.dataset for o in outcomes if o.status == "failed"]
    summary = f"done in {time.perf_counter() - started:.1f} s"
    click.echo(
        summary + (f"; FAILED: {', '.join(failed)}; nothing of theirs was published" if failed else "")
    )
    if failed:
        sys.exit(1)


@contextmanager
def _progress_lines() -> Iterator[Callable[[str], None]]:
    """Bars with rates and ETA above the progress lines on a terminal; plain lines otherwise."""
    if not sys.stdout.isatty():
        yield click.echo
        return
    from rich.console import Console

    from .progress import bars

    with bars(Console()) as say:
        yield say


@main.command()
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--publisher", "publisher_id", required=True, help="Id of a publisher in the publishers file.")
@click.option("--delete-source", is_flag=True, help="Delete the submitted files once they are published.")
@click.pass_obj
def ingest(settings, source: Path, publisher_id: str, delete_source: bool) -> None:
    """Check and publish a submission (a folder or .zip in the input format, /def/input-format/).

    Every problem is listed as file:row:column: [code] reason. A refused submission exits 1 and
    changes nothing that is published; personal data is refused, never echoed.
    """
    from .inputs.publishers import UnknownPublisher
    from .inputs.submission.ingest import ingest as run

    try:
        result = run(source, publisher_id, settings, delete_source=delete_source, progress=click.echo)
    except (UnknownPublisher, ValueError) as error:  # not registered, or not even a possible id
        raise click.ClickException(f"--publisher: {error}") from None
    if result.status == "refused":
        click.echo(result.message, err=True)
        sys.exit(1)
    click.echo(f"{result.dataset}: {result.status}")


@main.command()
@click.argument("target", required=False)
@click.option("--full", is_flag=True, help="Run pyshacl on every observation, not a sample.")
@click.pass_obj
def validate(settings, target: str | None, full: bool) -> None:
    """Validate a release directory, or the published release of TARGET (series/edition; default: all).

    Runs all three layers of the gate and prints a readable report; exits 1 on any finding.
    """
    from .gate.release_dir import validate_release
    from .store import current_snapshot

    if target and Path(target).is_dir():
        directories = [Path(target)]
    else:
        snapshot = current_snapshot(settings)
        if snapshot is None:
            raise click.ClickException("nothing is published yet: run `localindex build` first")
        releases = snapshot.releases
        names = [target] if target else sorted(releases)
        unknown = [n for n in names if n not in releases]
        if unknown:
            raise click.ClickException(
                f"not published: {', '.join(unknown)} (published: {', '.join(releases)})"
            )
        directories = [Path(releases[n]["dir"]) for n in names]
    specs = all_datasets(settings)
    invalid = False
    for directory in directories:
        try:
            report = validate_release(directory, specs, settings, full=full)
        except (ValueError, OSError) as error:  # not a release directory of this publisher's datasets
            raise click.ClickException(str(error)) from None
        click.echo(report.render())
        invalid |= not report.ok
    if invalid:
        sys.exit(1)


@main.command()
@click.option("--host", default=None, help="Interface to bind (default from settings: 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default from settings: 8080).")
@click.pass_obj
def serve(settings, host: str | None, port: int | None) -> None:
    """Serve SPARQL, downloads and pages over the published snapshot with gunicorn."""
    from api.server import run

    from .store import serving

    with serving(settings):
        run(settings.with_overrides(host=host or settings.host, port=port or settings.port))


@main.group()
def spi() -> None:
    """Social Progress Index methods: vocabulary and diagnostics."""


@spi.command("vocab")
@click.argument("method_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--check", is_flag=True, help="Exit 1 if vocab/ does not match the method file; write nothing.")
def spi_vocab(method_file: Path, check: bool) -> None:
    """Write METHOD_FILE's framework and parameters to vocab/<method id>.ttl."""
    from .compute.spi import Method, MethodError
    from .compute.spi.vocabulary import method_turtle
    from .paths import VOCAB_DIR

    try:
        method = Method.from_toml(method_file)
    except MethodError as error:
        raise click.ClickException(str(error)) from None
    target = VOCAB_DIR / f"{method.id}.ttl"
    text = method_turtle(method)
    if check:
        same = target.exists() and target.read_text(encoding="utf-8") == text
        state = "up to date" if same else f"OUT OF DATE: run localindex spi vocab {method_file}"
        click.echo(f"{target}: {state}")
        sys.exit(0 if same else 1)
    target.write_text(text, encoding="utf-8")
    click.echo(f"wrote {target} ({method.notation}: {len(method.indicators)} indicators)")


@spi.command("diagnose")
@click.argument("dataset", default="spi-ward/london-2019")
@click.pass_obj
def spi_diagnose(settings, dataset: str) -> None:
    """Print Cronbach's alpha, KMO, first-component share and PCA weights per component of DATASET."""
    from .compute.indices.spi import area_panel, component_diagnostics, load_method
    from .compute.spi import score
    from .compute.spi.diagnostics import ALPHA_THRESHOLD, KMO_THRESHOLD

    specs = [s for s in select(load_datasets(settings.datasets_file), [dataset]) if s.builder == "spi"]
    if not specs:
        raise click.ClickException(f"{dataset} is not a Social Progress Index dataset")
    for spec in specs:
        method = load_method(spec)
        panel = area_panel(spec, method)
        scores = score(method, panel.raw, panel.groups)
        click.echo(f"{spec.name}: method {method.notation}, {len(panel.areas)} areas")
        click.echo(f"{'component':<36} {'k':>2} {'n':>4} {'alpha':>6} {'KMO':>6} {'PC1':>6}  PCA weights")
        for result in component_diagnostics(method, scores):
            cells = [
                f"{v:6.3f}" if v is not None else f"{'n/a':>6}"
                for v in (result.alpha, result.kmo, result.pc1_share)
            ]
            weights = (
                ", ".join(
                    f"{name} {w:.3f}"
                    for name, w in zip(result.indicators, result.pca_weights or (), strict=False)
                )
                or "(one indicator)"
            )
            sizes = f"{len(result.indicators):>2} {result.units:>4}"
            click.echo(f"{result.component:<36} {sizes} {' '.join(cells)}  {weights}")
            for warning in result.warnings():
                click.echo(f"{'':<36} warning: {warning}")
        click.echo(f"thresholds: alpha >= {ALPHA_THRESHOLD}, KMO >= {KMO_THRESHOLD} (methods.md §1.4)")
        for component in method.omitted_components:
            click.echo(f"omitted: {component.id}: {component.omitted}")


hub_option = click.option(
    "--config",
    "hub_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Hub configuration (hub.toml): the member councils, the only hosts ever contacted.",
)


@main.command()
@hub_option
@click.pass_obj
def federate(settings, hub_path: Path) -> None:
    """Harvest the members' current releases into this hub and publish them.

    Each release is checked before it is loaded; a member that is down or sends something invalid
    is reported and what was harvested from it before stays. Exits 2 if any member failed.
    """
    from .hub.config import HubConfig, HubConfigError
    from .hub.harvest import federate as harvest

    try:
        hub = HubConfig.load(hub_path)
    except HubConfigError as error:
        raise click.ClickException(str(error)) from None
    reports = harvest(settings, hub, progress=click.echo)
    for report in reports:
        click.echo(report.render())
    if any(r.status != "ok" for r in reports):
        sys.exit(2)


@main.command()
@click.argument("query")
@hub_option
@click.option("--member", "member_ids", multiple=True, help="Query only this member id (repeatable).")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds to wait for all members (default: the hub's timeout_s).",
)
@click.option("--format", "output", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
def query(
    query: str, hub_path: Path, member_ids: tuple[str, ...], timeout: float | None, output: str
) -> None:
    """Run one SELECT QUERY (text, or @file.rq) on the hub members' endpoints; print one merged table.

    Relative IRIs such as <data/imd-lsoa/2019> resolve against each member's own base_uri. A member
    that fails is reported on stderr; exit 0 if all answered, 2 if some failed, 1 if none answered.
    """
    from .hub.config import HubConfig, HubConfigError
    from .hub.query import QueryRefused, federated_select, to_csv, to_json

    if query.startswith("@"):
        try:
            query = Path(query[1:]).read_text(encoding="utf-8")
        except OSError as error:
            raise click.ClickException(f"cannot read the query file {query[1:]}: {error.strerror}") from None
    try:
        hub = HubConfig.load(hub_path)
        members = [hub.member(i) for i in dict.fromkeys(member_ids)] if member_ids else list(hub.members)
        result = federated_select(
            members, query, timeout or hub.timeout_s, max_bytes=int(hub.max_download_mb * 1_000_000)
        )
    except (HubConfigError, QueryRefused) as error:
        raise click.ClickException(str(error)) from None
    click.echo(to_json(result) if output == "json" else to_csv(result), nl=False)
    for member_id, outcome in result.failed.items():
        click.echo(f"member {member_id}: {outcome.error}", err=True)
    sys.exit(result.exit_status)


if __name__ == "__main__":
    main()
