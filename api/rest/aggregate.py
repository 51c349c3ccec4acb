"""/api/v1/aggregate: a dataset aggregated to a coarser level (GET) or over posted areas (POST).

Aggregating an LSOA edition of the IMD uses the official IoD summary measures: precomputed derived
datasets where they exist (their rows carry observation URIs), computed on the fly otherwise. Any
other dataset aggregates measure by measure by the rule its measure declares in vocab/.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd
from flask import current_app, jsonify, request

from publisher.published import (
    IMD_ONLY,
    SUMMARY_MEASURES,
    NotAggregable,
    Vintage,
    aggregate_by_rule,
    area_summaries,
    gazetteer,
    ranks_where_complete,
    summary_population,
    vocabulary_measures,
)

from ..tables import PublishedDataset
from .common import (
    FINER,
    MAX_POSTED_AREAS,
    ApiError,
    blueprint,
    check_code,
    dataset_parameter,
    json_number,
    json_type,
    minter,
    tables,
)


@blueprint.get("/aggregate")
def aggregate_to_level():
    found = dataset_parameter(request.args.get("dataset"))
    level = request.args.get("level")
    component = _single_component(found, request.args.get("component"))
    if found.release.builder == "imd":
        return jsonify(_official_to_level(found, _offered_level(found, level), component))
    return jsonify(_by_rule_to_level(found, level or "", component))


def _offered_level(found: PublishedDataset, level: str | None) -> Vintage:
    """The vintage of ``level`` that the dataset's LSOAs are assigned to; a 400 naming those on offer
    (and the other vintages of the level, which need LSOAs of another vintage) otherwise."""
    places = gazetteer()
    offered = places.offered(found.release.vintage or "")
    derived = {
        r.level: places.vintages[r.vintage]
        for r in tables().releases().values()
        if r.derived_from == found.name and r.vintage in places.vintages
    }
    offered |= derived  # a level with a derived dataset is answered on that dataset's vintage
    if level in offered:
        return offered[level]
    on_offer = ", ".join(f"{name} ({vintage.id})" for name, vintage in sorted(offered.items()))
    elsewhere = [v.id for v in places.of_level(level or "")]
    hint = (
        f"; {level} areas exist as {', '.join(elsewhere)}, for LSOAs of another vintage" if elsewhere else ""
    )
    raise ApiError(
        400,
        f"level: {level!r} is not on offer for {found.name}, whose areas are {found.release.vintage}; "
        f"on offer: {on_offer}{hint}",
    )


@blueprint.post("/aggregate")
def aggregate_posted():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(
            400, 'body: expected a JSON object {"dataset": "imd-lsoa/2019", "areas": [LSOA codes]}'
        )
    found = dataset_parameter(body.get("dataset"))
    codes = _posted_areas(found, body.get("areas"))
    components = found.components
    component = body.get("component")
    if component is not None:
        if not isinstance(component, str):
            raise ApiError(400, f"component: expected a string, not {json_type(component)}")
        components = [_single_component(found, component)]
    grouping = pd.DataFrame({"lsoa": codes, "group": "posted", "share": 1.0})
    results: list[dict] = []
    if found.release.builder == "imd":
        method, population = minter().method("imd-area-summaries"), None
        for component in components:
            summary, population = official_summary(found, grouping, component)
            for measure in [*SUMMARY_MEASURES, "population"]:
                value = summary.loc["posted", measure]
                if component != "imd" and measure in IMD_ONLY:
                    continue
                results.append(
                    {"component": component, "measure": measure, "value": json_number(value, False)}
                )
    else:
        method = minter().method("aggregate-by-declared-rule")
        parts = _posted_pieces(found, codes)
        for component in components:
            for measure in found.measures:
                rule = _rules()[measure].aggregation_rule
                if rule == "not-aggregable":
                    continue
                combined, population = _combine(found, parts, component, measure, rule)
                value = combined.loc["posted", "value"]
                results.append(
                    {
                        "component": component,
                        "measure": measure,
                        "rule": rule,
                        "value": json_number(value, False),
                    }
                )
    return jsonify(
        {
            "dataset": found.uri,
            "method": method,
            "population": population,
            "inputs": {"dataset": found.uri, "areas": len(codes), "area_codes": codes},
            "results": results,
        }
    )


def _single_component(found: PublishedDataset, raw: str | None) -> str:
    if raw is None or raw == "":
        return found.components[0]
    if raw not in found.components:
        raise ApiError(400, f"component: {raw!r} not in this dataset (one of: {', '.join(found.components)})")
    return raw


def _posted_areas(found: PublishedDataset, areas) -> list[str]:
    if not isinstance(areas, list) or not areas or not all(isinstance(a, str) for a in areas):
        raise ApiError(400, "areas: expected a non-empty JSON list of GSS codes")
    if len(areas) > MAX_POSTED_AREAS:
        raise ApiError(400, f"areas: {len(areas):,} codes; at most {MAX_POSTED_AREAS:,}")
    for code in areas:
        check_code(code, "areas")
    repeated = sorted(code for code, times in Counter(areas).items() if times > 1)
    if repeated:
        raise ApiError(400, f"areas: listed more than once (would count twice): {', '.join(repeated[:10])}")
    known = set(found.table["area"].cat.categories)
    missing = [a for a in areas if a not in known]
    if missing:
        geography = tables().geography
        other_level = [a for a in missing if geography.level_of(a)]
        if other_level:
            raise ApiError(
                400,
                f"areas: {', '.join(other_level[:10])} are not {found.level} areas of {found.name}"
                f" ({len(other_level):,} in all)",
            )
        raise ApiError(404, f"areas: unknown area(s) {', '.join(missing[:10])} ({len(missing):,} in all)")
    return sorted(areas)


def _official_to_level(found: PublishedDataset, target: Vintage, component: str) -> dict:
    """IoD summary measures per area of ``target``: from the precomputed derived dataset if there is one."""
    level = target.level
    measure = request.args.get("measure") or "average-score"
    official = [*SUMMARY_MEASURES, "population"]
    if measure not in official:
        raise ApiError(400, f"measure: {measure!r} is not a summary measure ({', '.join(official)})")
    name = gazetteer().name  # in whichever vintage holds the code
    releases = tables().releases()
    derived = next(
        (
            n
            for n, r in sorted(releases.items())
            if r.derived_from == found.name and r.level == level and r.vintage == target.id
        ),
        None,
    )
    if derived is not None:
        summary = tables().dataset(derived)
        wide = summary.wide(component)
        period = summary.release.period
        rank = f"rank-of-{measure}"
        ranks = wide[rank].tolist() if rank in wide.columns else [None] * len(wide)
        rows = [
            {
                "area": code,
                "area_label": name(code),
                "value": json_number(value, False),
                "rank": json_number(area_rank, True),
                "population": json_number(population, False),
                "observation": summary.observation_uri(code, period, component, measure),
            }
            for code, value, area_rank, population in zip(
                wide.index, wide[measure].tolist(), ranks, wide["population"].tolist(), strict=True
            )
        ]
        method, vintage, source = summary.release.method, summary.release.vintage, summary.uri
    else:
        grouping = gazetteer().grouping(found.release.vintage, target.id)
        table, population = official_summary(found, grouping, component)
        ranks = ranks_where_complete(table[measure])
        rows = [
            {
                "area": code,
                "area_label": name(code),
                "value": json_number(table.loc[code, measure], False),
                "rank": None if ranks is None else int(ranks[code]),
                "population": json_number(table.loc[code, "population"], False),
            }
            for code in table.index
        ]
        method, vintage, source = minter().method("imd-area-summaries"), target.id, None
    return {
        "dataset": found.uri,
        "derived_dataset": source,
        "method": method,
        "level": level,
        "geography_vintage": vintage,
        "component": component,
        "measure": measure,
        "count": len(rows),
        "rows": rows,
    }


def official_summary(found: PublishedDataset, grouping: pd.DataFrame, component: str):
    """The official measures over LSOA pieces, weighted as the edition's published summaries are: by
    its own denominators, else by the population its derived summaries name, else by the bundled
    population of its LSOA vintage."""
    wide = found.wide(component)
    pieces = grouping.merge(wide, left_on="lsoa", right_index=True)
    if "population" in wide.columns:
        population = {
            "label": f"population denominators of {found.name}",
            "uri": minter().measure("population"),
        }
    else:
        counts, population = _weights(found, component)
        pieces = pieces.merge(counts.rename("population"), left_on="lsoa", right_index=True, how="left")
    return area_summaries(pieces, int(found.release.universe), component), population


def _weights(found: PublishedDataset, component: str) -> tuple[pd.Series, dict]:
    """Population by LSOA for ``component`` of ``found``, and what it is."""
    named = found.derived(
        ("summary-population",),
        lambda: summary_population(current_app.config["LOCALINDEX_SETTINGS"], found.release),
    )
    if named is not None:
        rows, file = named
        rows = rows[rows["component"] == component]
        label = f"the population weighting the summaries derived from {found.name} ({file})"
        return rows.set_index("lsoa")["population"], {"label": label, "uri": minter().source(file)}
    weights = gazetteer().populations.get(found.release.vintage or "")
    if weights is None:
        none = f"none: no population of {found.release.vintage} LSOAs is bundled"
        return pd.Series(dtype="float64"), {"label": none, "uri": None}
    return weights.counts, {"label": weights.label, "uri": minter().source(weights.file)}


def _population_source(base: str | None) -> dict:
    """What weighs a by-rule aggregate: the bundled population of the LSOAs of ``base``."""
    weights = gazetteer().populations.get(base or "")
    if weights is None:
        return {
            "label": f"none: no population of {base} LSOAs is bundled (each LSOA counts once)",
            "uri": None,
        }
    return {"label": weights.label, "uri": minter().source(weights.file)}


def _rules():
    return vocabulary_measures(minter().base)


def _by_rule_to_level(found: PublishedDataset, level: str, component: str) -> dict:
    measure = request.args.get("measure")
    if not measure or measure not in found.measures:
        raise ApiError(400, f"measure: required, one of {', '.join(found.measures)}")
    rule = _rules()[measure].aggregation_rule
    places = gazetteer()
    base = places.lsoa_base(found.release.vintage)
    target = places.offered(base).get(level) if base else None
    if target is None or FINER.get(level, 0) <= FINER.get(found.level, 0):
        coarser = FINER.get(found.level, 0)
        offered = sorted(lv for lv in places.offered(base or "") if FINER.get(lv, 0) > coarser)
        raise ApiError(
            400,
            f"level: {level!r} is not a coarser level that the {found.release.vintage} areas of {found.name} "
            f"can be assigned to; on offer: {', '.join(offered) or 'none'}",
        )
    pieces = _level_pieces(found, target.id)
    split = pieces["part"][pieces["part"].duplicated()]
    if len(split) and rule != "population-weighted-mean":
        raise ApiError(
            400,
            f"level: {found.name}'s {found.level} areas do not nest in {level} areas "
            f"({split.nunique()} span several, e.g. {split.iloc[0]}); aggregate from LSOAs instead",
        )
    combined, population = _combine(found, pieces, component, measure, rule)
    rows = [
        {
            "area": code,
            "area_label": places.name(code),
            "value": json_number(row["value"], False),
            "population": json_number(row["population"], False),
            "parts": int(row["parts"]),
            "coverage": float(row["coverage"]),
        }
        for code, row in combined.iterrows()
    ]
    return {
        "dataset": found.uri,
        "method": minter().method("aggregate-by-declared-rule"),
        "rule": rule,
        "population": population,
        "level": level,
        "geography_vintage": target.id,
        "component": component,
        "measure": measure,
        "count": len(rows),
        "rows": rows,
    }


def _area_lsoas(found: PublishedDataset) -> tuple[str | None, pd.DataFrame | None]:
    """The LSOA vintage the dataset's areas are made of, and (lsoa, part) rows putting those LSOAs in
    the areas (by best fit); None where the areas are LSOAs themselves."""
    places = gazetteer()
    vintage = found.release.vintage
    base = places.lsoa_base(vintage)
    if base == vintage:
        return base, None
    return base, places.grouping(base, vintage).rename(columns={"group": "part"})[["lsoa", "part"]]


def _level_pieces(found: PublishedDataset, target: str) -> pd.DataFrame:
    """Pieces (see ``_pieces``) of the dataset's areas in the areas of the vintage ``target``."""
    base, parts = _area_lsoas(found)
    lsoas = gazetteer().grouping(base, target)[["lsoa", "group"]]
    lsoas = lsoas.assign(part=lsoas["lsoa"]) if parts is None else lsoas.merge(parts, on="lsoa")
    return _pieces(lsoas, base)


def _posted_pieces(found: PublishedDataset, posted: list[str]) -> pd.DataFrame:
    """Pieces (see ``_pieces``) of the posted areas of the dataset, all in one group, "posted"; an area
    no lookup lists counts alone."""
    base, parts = _area_lsoas(found)
    if parts is None:
        parts = pd.DataFrame({"lsoa": posted, "part": posted})
    pieces = _pieces(parts[parts["part"].isin(set(posted))].assign(group="posted"), base)
    missing = sorted(set(posted) - set(pieces["part"]))
    extra = pd.DataFrame({"part": missing, "group": "posted", "people": 0.0, "lsoas": 1, "share": 1.0})
    return pd.concat([pieces, extra], ignore_index=True) if missing else pieces


def _pieces(lsoas: pd.DataFrame, base: str | None) -> pd.DataFrame:
    """(part, group, share, people, lsoas) rows from (lsoa, part, group) rows: the LSOAs that lie in
    both a part (an area of the dataset) and a group; ``people`` is their bundled population (of the
    LSOA vintage ``base``) and ``share`` their part of the part's. A part that spans several groups
    is shared among them by population."""
    people = gazetteer().populations.get(base)
    lsoas = lsoas.assign(people=lsoas["lsoa"].map(people.counts).fillna(0) if people else 1.0)
    pieces = lsoas.groupby(["part", "group"], as_index=False).agg(
        people=("people", "sum"), lsoas=("lsoa", "size")
    )
    whole = pieces.groupby("part")["people"].transform("sum")
    even = 1 / pieces.groupby("part")["part"].transform("size")
    pieces["share"] = (pieces["people"] / whole).where(whole > 0, even)
    return pieces


def _combine(found: PublishedDataset, pieces: pd.DataFrame, component: str, measure: str, rule: str):
    """Aggregate one measure over (part, group, share, people, lsoas) rows by its rule; weights stated
    with the result: the dataset's own population measure where it has one (a part's shared by
    ``share``), else the bundled population of the LSOAs in each piece."""
    wide = found.wide(component)
    expected = pieces.groupby("group").size()
    pieces = pieces[pieces["part"].isin(wide.index)]
    frame = pieces.assign(value=pieces["part"].map(wide[measure]))
    if "population" in wide.columns:
        frame["population"] = frame["part"].map(wide["population"]) * frame["share"]
        population = {"label": f"population measure of {found.name}", "uri": minter().measure("population")}
    else:
        frame["population"] = frame["people"]
        population = _population_source(gazetteer().lsoa_base(found.release.vintage))
    try:
        combined = aggregate_by_rule(frame, rule)
        combined["coverage"] = combined["parts"] / expected.reindex(combined.index)
        return combined, population
    except NotAggregable as error:
        raise ApiError(400, f"measure: {measure} ({rule}): {error}") from None
