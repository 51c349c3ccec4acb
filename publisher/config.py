"""Settings, read once from one TOML file (``localindex.toml``) with defaults here."""

from __future__ import annotations

import os
import shutil
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .paths import ROOT

CONFIG_ENV = "LOCALINDEX_CONFIG"


STORES = ("embedded", "sparql", "virtuoso", "auto")
VIRTUOSO_BINARIES = ("virtuoso-t", "isql-vt")
PASSWORD_ENV = "LOCALINDEX_SPARQL_PASSWORD"


@dataclass(frozen=True)
class Settings:
    """Everything a deployment may change. Defaults serve the bundled data on loopback."""

    base_uri: str = "http://127.0.0.1:8080/"
    # Where the shared /def/ terms live. Councils that federate set the same value, so that a
    # measure, dimension or concept is one URI across all of them (DESIGN.md §3). Default: base_uri.
    definitions_base: str = ""
    var_dir: Path = ROOT / "var"
    datasets_file: Path = ROOT / "data" / "datasets.toml"
    publishers_file: Path = ROOT / "data" / "publishers.toml"
    publisher_name: str = "localindex"
    publisher_uri: str = "http://127.0.0.1:8080/id/publisher/localindex"
    host: str = "127.0.0.1"
    port: int = 8080
    server_threads: int = 8
    query_timeout_s: float = 30.0
    query_row_cap: int = 100_000
    query_workers: int = 3
    # Queries one client (address) may run at once; 0 means half the workers, at least one.
    query_workers_per_client: int = 0
    # A query still running after query_quick_s (or query_timeout_s if less) is long. At most
    # query_long_slots long queries run at once, whoever sent them (0: every worker but one); a query
    # that turns long when they are all taken is stopped, so the other workers keep answering quick
    # queries (api/pool.py).
    query_quick_s: float = 2.0
    query_long_slots: int = 0
    # Reverse proxies in front of the server that append the client's address to X-Forwarded-For:
    # with 1 behind nginx or Caddy, fairness is per real client, not per proxy. 0: trust no header.
    trusted_proxies: int = 0
    max_query_chars: int = 100_000
    query_memory_mb: int = 4096
    query_result_max_bytes: int = 100_000_000
    shacl_sample_points: int = 12
    # Submissions (localindex ingest): counts of people or households from 1 to this minus one are
    # withheld, with the cells that would reveal them.
    suppression_threshold: int = 10
    submission_max_file_bytes: int = 1_000_000_000
    submission_max_field_chars: int = 10_000
    submission_max_archive_bytes: int = 500_000_000
    # Where the RDF lives: "embedded" (pyoxigraph under var/store, snapshots by RocksDB backup),
    # "sparql" (an external SPARQL 1.1 store: queries to sparql_query_endpoint through SPARQLWrapper,
    # releases loaded through the Graph Store Protocol endpoint; the password may instead be given
    # in $LOCALINDEX_SPARQL_PASSWORD, which keeps it out of the config file), "virtuoso" (a Virtuoso
    # localindex runs itself under var/virtuoso, on the two loopback ports below: the store for
    # national SPARQL questions) or "auto" (virtuoso where Debian's Virtuoso is installed, else embedded).
    store: str = "embedded"
    sparql_query_endpoint: str = ""
    sparql_graph_store_endpoint: str = ""
    sparql_user: str = ""
    sparql_password: str = ""
    sparql_auth: str = "digest"
    sparql_load_chunk_triples: int = 100_000
    virtuoso_http_port: int = 8890
    virtuoso_sql_port: int = 1111

    @property
    def definitions(self) -> str:
        return self.definitions_base or self.base_uri

    @property
    def store_dir(self) -> Path:
        return self.var_dir / "store"

    @property
    def snapshots_dir(self) -> Path:
        return self.var_dir / "snapshots"

    @property
    def virtuoso_dir(self) -> Path:
        return self.var_dir / "virtuoso"

    @property
    def virtuoso_password_file(self) -> Path:
        return self.virtuoso_dir / "dba-password"

    @property
    def store_ledger(self) -> Path:
        """The external store's graphs and what was loaded into each (beside a run Virtuoso's database,
        so that a new database starts with an empty ledger)."""
        return (self.virtuoso_dir if self.store == "virtuoso" else self.var_dir) / "store-graphs.json"

    @property
    def releases_dir(self) -> Path:
        return self.var_dir / "releases"

    @property
    def staging_dir(self) -> Path:
        return self.var_dir / "staging"

    @property
    def submissions_dir(self) -> Path:
        return self.var_dir / "submissions"

    @property
    def audit_log(self) -> Path:
        return self.var_dir / "audit" / "ingest.jsonl"

    def __post_init__(self):
        if self.store not in STORES:
            raise ValueError(f"store must be one of {', '.join(STORES)}, not {self.store!r}")
        if self.store == "auto":
            installed = all(shutil.which(binary) for binary in VIRTUOSO_BINARIES)
            object.__setattr__(self, "store", "virtuoso" if installed else "embedded")
        if self.store == "virtuoso":
            virtuoso = f"http://127.0.0.1:{self.virtuoso_http_port}/"
            object.__setattr__(self, "sparql_query_endpoint", virtuoso + "sparql")
            object.__setattr__(self, "sparql_graph_store_endpoint", virtuoso + "sparql-graph-crud-auth")
            object.__setattr__(self, "sparql_user", "dba")
            object.__setattr__(self, "sparql_auth", "digest")
        if self.external_store:
            for key in ("sparql_query_endpoint", "sparql_graph_store_endpoint"):
                if not str(getattr(self, key)).startswith(("http://", "https://")):
                    raise ValueError(f'store = "sparql" needs {key} (an http:// or https:// URL)')
        if self.query_quick_s <= 0:
            raise ValueError("query_quick_s must be more than 0")
        if not 0 <= self.query_long_slots <= self.query_workers:
            raise ValueError("query_long_slots must be between 0 and query_workers")
        if self.sparql_auth not in ("digest", "basic"):
            raise ValueError(f"sparql_auth must be digest or basic, not {self.sparql_auth!r}")

    @property
    def external_store(self) -> bool:
        return self.store in ("sparql", "virtuoso")

    @property
    def long_query_slots(self) -> int:
        return self.query_long_slots or max(1, self.query_workers - 1)

    @property
    def sparql_secret(self) -> str:
        if self.store == "virtuoso":
            path = self.virtuoso_password_file
            return path.read_text().strip() if path.exists() else "dba"
        return self.sparql_password or os.environ.get(PASSWORD_ENV, "")

    def with_overrides(self, **changes) -> Settings:
        return replace(self, **changes)


_PATH_FIELDS = {"var_dir", "datasets_file", "publishers_file"}


def load_settings(path: str | Path | None = None, **overrides) -> Settings:
    """Read settings from ``path``, $LOCALINDEX_CONFIG or ./localindex.toml (first that exists)."""
    candidates = [path, os.environ.get(CONFIG_ENV), Path.cwd() / "localindex.toml"]
    values: dict = {}
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            values = _read_toml(Path(candidate))
            break
        if candidate == path and path is not None:
            raise FileNotFoundError(f"config file not found: {path}")
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)


def _read_toml(path: Path) -> dict:
    with path.open("rb") as handle:
        raw = tomllib.load(handle).get("localindex", {})
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"{path}: unknown setting(s) in [localindex]: {', '.join(unknown)}")
    for key in _PATH_FIELDS & raw.keys():
        raw[key] = (path.parent / raw[key]).resolve()
    for key in ("base_uri", "definitions_base"):
        if not str(raw.get(key, "/") or "/").endswith("/"):
            raise ValueError(f"{path}: {key} must end with '/'")
    return raw
