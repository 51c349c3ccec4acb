"""Every URI pattern localindex mints or references (DESIGN.md §3), in one place."""

from __future__ import annotations

import re
from dataclasses import dataclass

GEOGRAPHY = "http://statistics.data.gov.uk/id/statistical-geography/"
STATISTICAL_ENTITY = "http://statistics.data.gov.uk/id/statistical-entity/"
STATISTICAL_ENTITY_CODE = "http://statistics.data.gov.uk/def/statistical-entity#code"
YEAR = "http://reference.data.gov.uk/id/year/"
GOVERNMENT_YEAR = "http://reference.data.gov.uk/id/government-year/"
OGL_V3 = "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"

QB = "http://purl.org/linked-data/cube#"
SDMX_DIMENSION = "http://purl.org/linked-data/sdmx/2009/dimension#"
SDMX_ATTRIBUTE = "http://purl.org/linked-data/sdmx/2009/attribute#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"

REF_AREA = SDMX_DIMENSION + "refArea"
REF_PERIOD = SDMX_DIMENSION + "refPeriod"
UNIT_MEASURE = SDMX_ATTRIBUTE + "unitMeasure"
OBS_STATUS = SDMX_ATTRIBUTE + "obsStatus"

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # short enough for a file name too


def area(code: str) -> str:
    return GEOGRAPHY + code


def statistical_entity(code: str) -> str:
    """ONS statistical entity of a GSS code: its first three characters (E05 = electoral ward)."""
    return STATISTICAL_ENTITY + code[:3]


def period(label: str) -> str:
    """reference.data.gov.uk URI of a period label: '2019' or '2018-2019'."""
    if re.fullmatch(r"\d{4}", label):
        return YEAR + label
    if re.fullmatch(r"\d{4}-\d{4}", label):
        return GOVERNMENT_YEAR + label
    raise ValueError(f"unsupported period {label!r}: expected YYYY or YYYY-YYYY")


def check_segment(value: str, what: str) -> str:
    """Refuse anything that is not a safe, code-like URI path segment."""
    if not _SEGMENT.fullmatch(value):
        raise ValueError(f"{what} is not a valid URI segment (1 to 64 of letters, digits, . _ -)")
    return value


@dataclass(frozen=True)
class Minter:
    """URIs under the configured base (which ends with '/'); shared definitions under ``definitions``
    (default: the base), which federating publishers set to one common value."""

    base: str
    definitions: str = ""

    @classmethod
    def of(cls, settings) -> Minter:
        return cls(settings.base_uri, settings.definitions)

    @property
    def defs(self) -> str:
        """The base that vocab/'s relative IRIs (all under def/) resolve against."""
        return self.definitions or self.base

    def series(self, series: str) -> str:
        return f"{self.base}data/{series}"

    def edition(self, series: str, edition: str) -> str:
        return f"{self.base}data/{series}/{edition}"

    def dataset(self, series: str, edition: str, revision: int = 1) -> str:
        """The qb:DataSet of one revision: revision 1 is the edition itself, a correction n is
        ``{edition}/revision/{n}``; everything the release mints lives under it."""
        if revision == 1:
            return self.edition(series, edition)
        return self.revision(series, edition, revision)

    def revision(self, series: str, edition: str, revision: int) -> str:
        return f"{self.edition(series, edition)}/revision/{revision}"

    def latest(self, series: str) -> str:
        return f"{self.series(series)}/latest"

    def structure(self, series: str, edition: str, revision: int = 1) -> str:
        return f"{self.dataset(series, edition, revision)}/structure"

    def observation_prefix(self, series: str, edition: str, revision: int = 1) -> str:
        return f"{self.dataset(series, edition, revision)}/obs/"

    def area_list(self, series: str, edition: str, revision: int = 1) -> str:
        return f"{self.dataset(series, edition, revision)}/areas"

    def graph(self, series: str, edition: str, release_key: str) -> str:
        return f"{self.base}graph/{series}/{edition}/{release_key[:16]}"

    def release_activity(self, series: str, edition: str, release_key: str) -> str:
        return f"{self.base}id/release/{series}/{edition}/{release_key[:16]}"

    def source(self, path: str) -> str:
        return f"{self.base}id/source/{path}"

    def download(self, series: str, edition: str, filename: str, revision: int = 1) -> str:
        """Each revision's files have their own URLs: a correction never changes what a link returns."""
        if revision == 1:
            return f"{self.base}downloads/{series}/{edition}/{filename}"
        return f"{self.base}downloads/{series}/{edition}/revision/{revision}/{filename}"

    def measure(self, name: str) -> str:
        return f"{self.defs}def/measure/{name}"

    def dimension(self, name: str) -> str:
        return f"{self.defs}def/dimension/{name}"

    def concept(self, scheme: str, notation: str) -> str:
        return f"{self.defs}def/concept/{scheme}/{notation}"

    def concept_scheme(self, scheme: str) -> str:
        return f"{self.defs}def/concept-scheme/{scheme}"

    def method(self, name: str) -> str:
        return f"{self.defs}def/method/{name}"

    def ontology(self, term: str) -> str:
        return f"{self.defs}def/ontology/{term}"

    @property
    def vocabulary_graph(self) -> str:
        return f"{self.base}graph/vocabulary"

    @property
    def catalog_graph(self) -> str:
        return f"{self.base}graph/catalog"

    @property
    def catalog(self) -> str:
        return f"{self.base}catalog"

    @property
    def rest_api(self) -> str:
        return f"{self.base}api/v1"

    def feed(self, series: str | None = None) -> str:
        """The Atom feed of every release and revision, or of one series'."""
        return f"{self.base}feed/{series}.atom" if series else f"{self.base}feed.atom"

    @property
    def void(self) -> str:
        return f"{self.base}.well-known/void"

    @property
    def sparql_endpoint(self) -> str:
        return f"{self.base}sparql"
