"""The SPARQL forms of the gate's rules (shapes/checks/*.rq), run by pyoxigraph.

Structure checks (`# scope: structure`) run on every release's small remainder (publisher/gate/rdf.py).
Observation checks (`# scope: observations`) state the rules the linear pass enforces, as whole-graph
queries: the hub runs them on what it harvests, and the tests run both on corrupted fixtures as a
cross-check. Each query returns ?focus and ?detail per violation.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pyoxigraph as ox

from ..paths import CHECKS_DIR
from ..rdf import uris
from .report import SHOWN, Finding

SCOPES = ("structure", "observations")


def bind(query: str, constants: dict[str, str]) -> str:
    """Replace ?name by its per-dataset constant (IRIs and numbers minted by localindex itself)."""
    return re.sub(r"\?(\w+)\b", lambda m: constants.get(m.group(1), m.group(0)), query)


@dataclass(frozen=True)
class Check:
    name: str
    rule: str
    message: str
    scope: str
    query: str

    @classmethod
    def load_all(cls) -> list[Check]:
        checks = []
        for path in sorted(CHECKS_DIR.glob("*.rq")):
            text = path.read_text()
            header = dict(re.findall(r"^# (rule|message|scope): (.+)$", text, re.M))
            if set(header) != {"rule", "message", "scope"} or header["scope"] not in SCOPES:
                raise ValueError(
                    f"{path}: needs '# rule:', '# message:' and '# scope: {'|'.join(SCOPES)}' lines"
                )
            checks.append(
                cls(path.stem, header["rule"].strip(), header["message"].strip(), header["scope"], text)
            )
        return checks

    def bind(self, constants: dict[str, str]) -> str:
        return bind(self.query, constants)


def constants(
    dataset: str, universe: int, area_list: str, area_code_pattern: str, component_dimension: str
) -> dict[str, str]:
    """The per-dataset values the checks' variables stand for."""
    area_pattern = "^" + re.escape(uris.GEOGRAPHY) + area_code_pattern.lstrip("^")
    return {
        "dataset": f"<{dataset}>",
        "universe": str(int(universe)),
        "areaList": f"<{area_list}>",
        "areaPattern": json.dumps(area_pattern),
        "componentDimension": f"<{component_dimension}>",
    }


def run_checks(
    store: ox.Store,
    graphs: list[str],
    bound: dict[str, str],
    definitions: str,
    scopes: tuple[str, ...] = SCOPES,
    layer: str = "sparql",
) -> tuple[list[str], list[Finding]]:
    """The checks of ``scopes`` over the union of ``graphs``; relative IRIs resolve against
    ``definitions``."""
    default_graph = [ox.NamedNode(g) for g in graphs]

    def run(check: Check) -> Finding | None:
        solutions = store.query(check.bind(bound), base_iri=definitions, default_graph=default_graph)
        focus, count = [], 0
        for solution in solutions:
            count += 1
            if len(focus) < SHOWN:
                node, detail = solution["focus"], solution["detail"]
                focus.append(f"{getattr(node, 'value', node)}: {getattr(detail, 'value', detail)}")
        return Finding(layer, check.rule, check.message, focus, count) if count else None

    checks = [c for c in Check.load_all() if c.scope in scopes]
    with ThreadPoolExecutor(max_workers=2) as pool:  # pyoxigraph releases the GIL while it evaluates
        results = list(pool.map(run, checks))
    return [c.rule for c in checks], [f for f in results if f is not None]


def run(
    store: ox.Store, graphs: list[str], shape, spec, minter, scope: str
) -> tuple[list[str], list[Finding]]:
    """The checks of one scope for a release of ``spec`` with structure ``shape``."""
    bound = constants(
        shape.dataset,
        spec.ranking_universe,
        shape.area_list,
        spec.area_code_pattern,
        shape.component_dimension,
    )
    return run_checks(store, graphs, bound, minter.defs, (scope,), layer=scope)
