"""Area scorecards: for one area, each published dataset's components with value, rank among peers,
decile, change since the previous edition and a rating in words and colour (colour is never the only
signal). One view model serves the HTML scorecard (/area/{code}), its JSON (/api/v1/scorecard/{code})
and the <localindex-scorecard> web component."""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import Blueprint, current_app, jsonify, request

from publisher.published import ENTITIES, Minter, Release, gazetteer, publisher_of, vocabulary_measures

from .pages import number_text, objects

blueprint = Blueprint("scorecards", __name__)
UNDERLYING = "indicator-value"  # an index's indicator in its own unit (a rate, a proportion)
HEADLINES = ("average-score", "score", "spi-score", "indicator-value", "count")  # in order of preference
SIGNIFICANT_PERCENTILES = 5.0  # a move of fewer percentiles of the peers is "no significant change"
PEERS = {"lsoa": "LSOAs", "ward": "wards", "lad": "districts", "region": "regions", "stp": "STPs"}
# (decile range, rating key, words) with rank 1 = most deprived; reversed for rank 1 = highest score
DEPRIVATION_BANDS = [
    (range(1, 3), "worst", "among the most deprived 20% of {peers}"),
    (range(3, 5), "worse", "more deprived than most {peers}"),
    (range(5, 7), "middle", "around the middle of {peers}"),
    (range(7, 9), "better", "less deprived than most {peers}"),
    (range(9, 11), "best", "among the least deprived 20% of {peers}"),
]
PROGRESS_BANDS = [
    (range(1, 3), "best", "among the highest-scoring 20% of {peers}"),
    (range(3, 5), "better", "higher-scoring than most {peers}"),
    (range(5, 7), "middle", "around the middle of {peers}"),
    (range(7, 9), "worse", "lower-scoring than most {peers}"),
    (range(9, 11), "worst", "among the lowest-scoring 20% of {peers}"),
]

BEST_BANDS = [  # a submitted indicator ranked by its stated polarity: rank 1 = the best value
    (range(1, 3), "best", "among the best 20% of {peers}"),
    (range(3, 5), "better", "better than most {peers}"),
    (range(5, 7), "middle", "around the middle of {peers}"),
    (range(7, 9), "worse", "worse than most {peers}"),
    (range(9, 11), "worst", "among the worst 20% of {peers}"),
]


@dataclass(frozen=True)
class Headline:
    measure: str
    rank: str | None  # the measure that ranks it, if the dataset has one


def headline(release: Release, minter: Minter) -> Headline | None:
    """The measure a scorecard shows for a dataset: the first that is ranked, else the first value."""
    described = vocabulary_measures(minter.defs)
    measures = release.measures
    ranked = {described[m].rank_of: m for m in measures if m in described and described[m].rank_of}
    for measure in [*HEADLINES, *measures]:
        if measure in measures and measure in ranked:
            return Headline(measure, ranked[measure])
    found = next((m for m in HEADLINES if m in measures), None)
    return Headline(found, None) if found else None


def rating(decile: int, rank_direction: str, peers: str) -> tuple[str, str]:
    if rank_direction.startswith("1 = best"):
        bands = BEST_BANDS
    else:
        bands = PROGRESS_BANDS if "highest" in rank_direction else DEPRIVATION_BANDS
    for deciles, key, words in bands:
        if decile in deciles:
            return key, words.format(peers=peers)
    raise ValueError(f"decile {decile} is not 1 to 10")


def change(now: tuple[float, int], before: tuple[float, int], rank_direction: str) -> tuple[str, str]:
    """Rating and words of a move in relative position: (rank, universe) now and in the earlier edition."""
    moved = 100.0 * (now[0] / now[1] - before[0] / before[1])  # percentiles; + = further from rank 1
    if abs(moved) < SIGNIFICANT_PERCENTILES:
        return "no-significant-change", f"no significant change (moved {abs(moved):.1f} percentiles)"
    further = moved > 0
    better = further if "deprived" in rank_direction else not further
    way = "less deprived" if further and "deprived" in rank_direction else "more deprived"
    if "deprived" not in rank_direction:
        way = "lower-scoring" if further else "higher-scoring"
    return (
        "better" if better else "worse"
    ), f"{way} relative to other areas (moved {abs(moved):.1f} percentiles)"


def progress(moved: float, threshold: float) -> tuple[str, str]:
    """Rating and words of a change in score between two editions scored by one method, against the
    method's threshold (score points; higher is better). The caller says since when."""
    if abs(moved) <= threshold:
        return "no-significant-change", (
            f"no significant change ({moved:+.1f} points; the method counts a change of more than "
            f"{threshold:g} points)"
        )
    way = "better: up" if moved > 0 else "worse: down"
    return (
        "better" if moved > 0 else "worse",
        f"{way} {abs(moved):.1f} points (more than the {threshold:g} that counts)",
    )


def underlying(
    value: float | None, unit: str, before: float | None, edition: str | None, unit_label: str
) -> dict | None:
    """An indicator's value in its own unit beside its score ("21.3 %, down from 27.0 % in 2019"), so
    that a change reads as more or fewer people and not only as points; ``before`` only from an
    edition of the same method, whose indicator has the same definition."""
    if value is None:
        return None

    def text(number: float) -> str:
        return f"{100 * number:.1f} %" if unit == "proportion" else number_text(number, unit)

    said = text(value) if unit == "proportion" else f"{text(value)} ({unit_label})"
    if before is not None and edition:
        way = "up from" if value > before else "down from" if value < before else "as"
        said += f", {way} {text(before)} in {edition}"
    return {"value": value, "unit": unit, "before": before, "text": said}


def _threshold(method: str | None, minter: Minter) -> float | None:
    """The progress threshold the method publishes (li:progressThreshold), if it is one that does."""
    if not method:
        return None
    described = current_app.extensions["localindex_described"].current()
    predicate = minter.ontology("progressThreshold")
    stated = [
        t.object.value
        for t in described.triples(method)
        if t.subject.value == method and t.predicate.value == predicate
    ]
    return float(stated[0]) if stated else None


def scorecard(code: str, name: str, tables, minter: Minter, labels) -> dict | None:
    """The scorecard of one dataset for one area, or None when the dataset has no value for it."""
    found = tables.dataset(name)
    release = found.release
    rows = found.rows_of([code])
    chosen = headline(release, minter)
    if rows.empty or chosen is None:
        return None
    previous = _previous(name, release, tables, code)
    method = next((e.get("method") for e in (previous or {}).values() if e.get("method")), None)
    threshold = _threshold(method, minter)  # the same for every component: looked up once
    universe = int(release.universe)
    direction = release.rank_direction
    peers = f"{PEERS.get(release.level, 'areas')} ({universe:,})"
    scheme = release.component_scheme
    concept_labels = labels([minter.concept(scheme, c) for c in release.components])
    by_polarity = {} if chosen.rank else _rankers(found, scheme, minter)
    units = rows.loc[rows["measure"] == UNDERLYING, "unit"].astype(str).unique()
    unit_labels = labels([minter.concept("unit", u) for u in units])
    out = []
    for component in release.components:
        mine = rows[rows["component"] == component].set_index("measure")
        measure = _measure_with_value(mine, chosen.measure)
        if measure is None:
            continue
        value = _number(mine.at[measure, "value"])
        unit = str(mine.at[measure, "unit"])
        period = str(mine["period"].iloc[0])
        row = {
            "component": component,
            "label": concept_labels.get(minter.concept(scheme, component), component),
            "measure": measure,
            "value": value,
            "text": "no value" if value is None else number_text(value, unit),
            "unit": unit,
            "status": str(mine.at[measure, "status"] or ""),
            "observation": found.observation_uri(code, period, component, measure),
            "rank": None,
            "universe": None,
            "decile": None,
            "rating": None,
            "rating_words": "",
            "change": None,
            "underlying": None,
        }
        ranked = measure == chosen.measure and chosen.rank and chosen.rank in mine.index
        rank = _number(mine.at[chosen.rank, "value"]) if ranked else None
        among, order, who = universe, direction, peers
        if rank is None and value is not None and component in by_polarity:
            rank, among, order = by_polarity[component].rank(code, measure, period)
            who = f"{PEERS.get(release.level, 'areas')} of this dataset ({among:,})"
        if rank is not None:
            decile = min(10, math.ceil(10 * rank / among))
            key, words = rating(decile, order, who)
            row |= {
                "rank": int(rank),
                "universe": among,
                "decile": decile,
                "rating": key,
                "rating_words": words,
            }
            earlier = previous.get(component) if previous else None
            moved = None
            same_method = earlier and earlier.get("method") and threshold is not None
            if same_method and value is not None and earlier["value"] is not None:
                moved = progress(value - earlier["value"], threshold)
            elif earlier and earlier.get("rank") is not None:
                moved = change((rank, universe), (earlier["rank"], earlier["universe"]), direction)
            if moved is not None:
                key, words = moved
                row["change"] = {
                    "carried": earlier.get("carried", False),
                    "edition": earlier["edition"],
                    "period": earlier["period"],
                    "value": earlier["value"],
                    "rank": earlier["rank"],
                    "universe": earlier["universe"],
                    "rating": key,
                    "words": words,
                }
        if measure != UNDERLYING and UNDERLYING in mine.index:
            earlier = (previous or {}).get(component, {})
            own = str(mine.at[UNDERLYING, "unit"])
            row["underlying"] = underlying(
                _number(mine.at[UNDERLYING, "value"]),
                own,
                earlier.get("underlying") if earlier.get("method") else None,
                earlier.get("period"),
                unit_labels.get(minter.concept("unit", own), own),
            )
        out.append(row)
    publisher = publisher_of(release, current_app.config["LOCALINDEX_SETTINGS"])
    return {
        "dataset": name,
        "uri": release.dataset,
        "title": release.title,
        "period": release.period,
        "licence": release.licence,
        "publisher": {"name": publisher.name, "uri": publisher.uri},
        "rank_direction": direction,
        "headline": chosen.measure,
        "rows": out,
    }


@dataclass(frozen=True)
class PolarityRank:
    """Rank of an area among a dataset's areas by a value whose direction the indicator states
    (li:polarity of a submitted indicator): 1 = best, ties at the minimum rank."""

    table: object  # the dataset's tidy table
    component: str
    higher_is_better: bool

    def rank(self, code: str, measure: str, period: str) -> tuple[int, int, str]:
        rows = self.table[
            (self.table["component"] == self.component)
            & (self.table["measure"] == measure)
            & (self.table["period"].astype(str) == period)
        ].dropna(subset=["value"])
        ranks = rows["value"].rank(method="min", ascending=not self.higher_is_better)
        rank = int(ranks[rows["area"] == code].iloc[0])
        return rank, len(rows), "1 = best (" + ("highest" if self.higher_is_better else "lowest") + " value)"


def _rankers(found, scheme: str, minter: Minter) -> dict[str, PolarityRank]:
    """Rankers for the components whose concept states a polarity (submitted indicators)."""
    described = current_app.extensions["localindex_described"].current()
    polarity = minter.ontology("polarity")
    rankers = {}
    for component in found.release.components:
        concept = minter.concept(scheme, component)
        stated = objects(described.triples(concept), concept, polarity)
        if stated and not stated[0].endswith("/neutral"):
            rankers[component] = PolarityRank(found.table, component, stated[0].endswith("/higher-is-better"))
    return rankers


def _measure_with_value(mine, preferred: str) -> str | None:
    """The preferred measure of a component, or where it has none (a count among rates in a
    submission, whose points carry both measures), the headline measure that has a value."""
    candidates = [preferred, *[m for m in HEADLINES if m != preferred]]
    present = [m for m in candidates if m in mine.index]
    with_value = [m for m in present if _number(mine.at[m, "value"]) is not None]
    return (with_value or present or [None])[0]


def _previous(name: str, release: Release, tables, code: str) -> dict[str, dict] | None:
    """Headline value and rank per component in the newest earlier edition of the series."""
    releases = tables.releases()
    earlier = [
        (*r.order, n)
        for n, r in releases.items()
        if r.series == release.series and r.order < release.order and not r.member
    ]
    same_method = [e for e in earlier if release.method and releases[e[2]].method == release.method]
    if not earlier:
        return None
    _, edition, other = max(same_method or earlier)
    found = tables.dataset(other)
    chosen = headline(found.release, Minter.of(current_app.config["LOCALINDEX_SETTINGS"]))
    rows = found.rows_of([code])
    if rows.empty and release.derived_from and chosen is not None:
        return _carried_previous(code, release, edition, chosen.measure)
    result = {}
    for component, part in rows.groupby("component", observed=True):
        part = part.set_index("measure")
        if chosen is None or chosen.measure not in part.index:
            continue
        rank = _number(part.at[chosen.rank, "value"]) if chosen.rank and chosen.rank in part.index else None
        result[str(component)] = {
            "edition": edition,
            "period": found.release.period or edition,
            "value": _number(part.at[chosen.measure, "value"]),
            "underlying": _number(part.at[UNDERLYING, "value"]) if UNDERLYING in part.index else None,
            "rank": None if rank is None else int(rank),
            "universe": int(found.release.universe),
            "method": found.release.method if same_method else None,
        }
    return result


def _carried_previous(code: str, release: Release, edition: str, measure: str) -> dict[str, dict]:
    """Headline value and rank per component in ``edition``, for an area that edition was not
    published on (a ward of a later review): its LSOAs carried onto the area (api/rest/history.py)."""
    from .rest.common import ApiError
    from .rest.history import history_of

    result = {}
    for component in release.components:
        try:
            found = history_of(code, release.series, component, measure)
        except ApiError:
            continue
        earlier = next((e for e in found["editions"] if e["edition"] == edition), None)
        if earlier and earlier["how"] == "carried" and earlier["rank"] is not None:
            result[component] = {
                "edition": edition,
                "period": earlier["period"] or edition,
                "value": earlier["value"],
                "rank": earlier["rank"],
                "universe": earlier["peers"],
                "carried": True,
            }
    return result


def _number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def area_scorecards(code: str, vintages: set[str], tables, minter: Minter, labels) -> list[dict]:
    """Scorecards of every current dataset on one of the area's vintages with a value for it."""
    cards = []
    for name, release in sorted(tables.releases().items()):
        if release.vintage in vintages:
            card = scorecard(code, name, tables, minter, labels)
            if card is not None:
                cards.append(card)
    return cards


@blueprint.route("/api/v1/scorecard/<code>")
def scorecard_json(code: str):
    from .rest.common import ApiError, check_code, dataset_parameter

    check_code(code, "code")
    places = gazetteer()
    held = places.held_by(code)
    if not held:
        raise ApiError(404, f"code: unknown area {code!r}")
    tables = current_app.extensions["localindex_tables"]
    minter = Minter.of(current_app.config["LOCALINDEX_SETTINGS"])
    labels = current_app.extensions["localindex_described"].current().labels
    names = [request.args["dataset"]] if request.args.get("dataset") else None
    if names:
        dataset_parameter(names[0])
        cards = [c for c in [scorecard(code, names[0], tables, minter, labels)] if c]
    else:
        cards = area_scorecards(code, {v.id for v in held}, tables, minter, labels)
    return jsonify(
        {
            "area": code,
            "label": places.name(code) or code,
            "type": ENTITIES.get(code[:3], ("", ""))[1],
            "scorecards": cards,
        }
    )
