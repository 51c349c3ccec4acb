"""England's areas of every bundled vintage side by side, from data/geography.toml: which vintages
hold a code, when it was in use, its parents and children in each, and what it became or came from.

Geography changes every year, so nothing here names a vintage: the vintages, their dates and the
lookups that give their areas are data. Relations are best fit, as ONS publishes them (an LSOA lies
wholly in one area of each kind); an area's LSOAs follow from chains of lookups (an LSOA's district's
region is its region). Successors of a 2011 LSOA come from the ONS change codes; those of a ward or
district are the areas of a later vintage that its LSOAs fall in, with the share of them in each,
which is approximate and stated so.
"""

from __future__ import annotations

import threading
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path

import pandas as pd

from ..paths import DATA_DIR
from .ingest import read_input

LINK_COLUMNS = ["child", "child_vintage", "parent", "parent_vintage"]


@dataclass(frozen=True)
class Vintage:
    id: str
    level: str
    title: str
    date: date


@dataclass(frozen=True)
class Related:
    """Another area an area became or came from, and how."""

    code: str
    vintage: str
    relation: str  # unchanged | split | merged | irregular | overlap
    share: float  # of the area's LSOAs that went there (1 for the LSOA change codes' pairs)
    approximate: bool


@dataclass(frozen=True)
class Population:
    """The population of each LSOA of a vintage, and what it is."""

    file: str
    label: str
    counts: pd.Series  # index: LSOA code


class Gazetteer:
    def __init__(self, vintages: dict[str, Vintage], names: pd.DataFrame, declared: pd.DataFrame, changes):
        self.vintages = vintages
        self.populations: dict[str, Population] = {}
        self.names = names  # index code; vintage, name: one row per (code, vintage)
        links = _closure(declared)  # child, child_vintage, parent, parent_vintage: every containment
        self.changes = changes  # old, old_vintage, new, new_vintage, relation
        # Indexed once, as requests look up one code or one pair of vintages at a time. Parents: every
        # area that holds a code (an LSOA's region too); children: those the lookups put directly
        # inside it (a borough's wards and LSOAs, a region's districts, not its LSOAs); contents:
        # everything inside it, however far down.
        self._by = {
            "child": links.set_index("child", drop=False).sort_index(),
            "parent": declared.set_index("parent", drop=False).sort_index(),
            "contents": links.set_index("parent", drop=False).sort_index(),
        }
        self._pairs = {
            pair: group[["child", "parent"]].reset_index(drop=True)
            for pair, group in links.groupby(["child_vintage", "parent_vintage"], observed=True)
        }

    @classmethod
    def load(cls, data_dir: Path = DATA_DIR) -> Gazetteer:
        spec = tomllib.loads((data_dir / "geography.toml").read_text(encoding="utf-8"))
        vintages = {
            v["id"]: Vintage(v["id"], v["level"], v["title"], date.fromisoformat(v["date"]))
            for v in spec["vintage"]
        }
        ids = list(vintages)  # vintage columns are categories of these: small, and quick to group
        names, links = [], []
        for entry in spec["lookup"]:
            frame = _read(data_dir, entry, vintages)
            for column, vintage in entry["codes"].items():
                name = entry.get("names", {}).get(column)
                names.append(
                    pd.DataFrame(
                        {
                            "code": frame[column],
                            "vintage": vintage,
                            "name": frame[name] if name else "",
                        }
                    )
                )
            for child, parent in entry.get("inside", []):
                links.append(
                    pd.DataFrame(
                        {
                            "child": frame[child],
                            "child_vintage": pd.Categorical([entry["codes"][child]] * len(frame), ids),
                            "parent": frame[parent],
                            "parent_vintage": pd.Categorical([entry["codes"][parent]] * len(frame), ids),
                        }
                    )
                )
        named = pd.concat(names).sort_values("name", ascending=False)  # a named row before an unnamed one
        named = named.drop_duplicates(["code", "vintage"]).set_index("code").sort_index()
        changes = pd.concat([_changes(data_dir, entry) for entry in spec.get("change", [])])
        places = cls(vintages, named, pd.concat(links).drop_duplicates(ignore_index=True), changes)
        for entry in spec.get("population", []):
            frame = read_input(
                data_dir / entry["file"], {"lsoa": "code"} | dict.fromkeys(entry["columns"], "decimal")
            )
            counts = frame.set_index("lsoa")[entry["columns"]].sum(axis=1)
            places.populations[entry["vintage"]] = Population(entry["file"], entry["label"], counts)
        return places

    def held_by(self, code: str) -> list[Vintage]:
        """The vintages that hold ``code``, oldest first."""
        rows = self.names.loc[[code]] if code in self.names.index else self.names.iloc[:0]
        return sorted((self.vintages[v] for v in rows["vintage"]), key=lambda v: v.date)

    def name(self, code: str) -> str:
        """The area's most recent name (empty where no lookup names it)."""
        return self.labels.get(code, "")

    def names_in(self, vintage: str) -> pd.Series:
        """Code → name of every named area of ``vintage``, as that vintage names it."""
        rows = self.names[(self.names["vintage"] == vintage) & (self.names["name"] != "")]
        return rows["name"]

    @cached_property
    def labels(self) -> dict[str, str]:
        """Code → its most recent name, for every named code: one dict, as tables name rows by the
        million."""
        dated = self.names.assign(date=self.names["vintage"].map(lambda v: self.vintages[v].date))
        named = dated[dated["name"] != ""].sort_values("date", kind="stable")
        return dict(zip(named.index, named["name"], strict=True))

    def of_level(self, level: str) -> list[Vintage]:
        return sorted((v for v in self.vintages.values() if v.level == level), key=lambda v: v.date)

    def in_use(self, code: str, vintage: Vintage) -> tuple[date, date | None]:
        """From the first vintage of its kind that holds ``code`` (in ``vintage``'s unbroken run) to
        the date of the first later vintage that does not (None: it is in the latest one)."""
        held = {v.id for v in self.held_by(code)}
        run = self.of_level(vintage.level)
        start = run.index(vintage)
        while start > 0 and run[start - 1].id in held:
            start -= 1
        end = run.index(vintage)
        while end + 1 < len(run) and run[end + 1].id in held:
            end += 1
        return run[start].date, run[end + 1].date if end + 1 < len(run) else None

    def parents(self, code: str) -> dict[str, str]:
        """Parent vintage → the area of that vintage that holds ``code`` (in any vintage of it)."""
        rows = self._related(code, "child")
        return dict(zip(rows["parent_vintage"], rows["parent"], strict=True))

    def children(self, code: str) -> dict[str, list[str]]:
        """Child vintage → the areas of that vintage directly inside ``code``, sorted."""
        rows = self._related(code, "parent")
        return {v: sorted(set(group["child"])) for v, group in rows.groupby("child_vintage", observed=True)}

    def offered(self, lsoa_vintage: str) -> dict[str, Vintage]:
        """Level → the latest vintage of that level that the LSOAs of ``lsoa_vintage`` are assigned to."""
        parents = {parent for child, parent in self._pairs if child == lsoa_vintage}
        latest: dict[str, Vintage] = {}
        for vintage in sorted((self.vintages[v] for v in parents), key=lambda v: v.date):
            latest[vintage.level] = vintage
        return latest

    def grouping(self, lsoa_vintage: str, vintage: str) -> pd.DataFrame:
        """Best-fit (lsoa, group, share) rows: each LSOA of ``lsoa_vintage`` in its area of ``vintage``."""
        rows = self._pairs.get((lsoa_vintage, vintage), pd.DataFrame(columns=["child", "parent"]))
        return pd.DataFrame(
            {"lsoa": rows["child"].to_numpy(), "group": rows["parent"].to_numpy(), "share": 1.0}
        )

    def lsoa_base(self, vintage: str) -> str | None:
        """The LSOA vintage whose LSOAs the lookups assign to the areas of ``vintage`` (itself for LSOAs;
        the latest where several are)."""
        if vintage in self.vintages and self.vintages[vintage].level == "lsoa":
            return vintage
        found = [
            self.vintages[c] for c, p in self._pairs if p == vintage and self.vintages[c].level == "lsoa"
        ]
        return max(found, key=lambda v: v.date).id if found else None

    def parent_vintage(self, vintage: str, level: str) -> str | None:
        """The latest vintage of ``level`` whose areas the lookups put the areas of ``vintage`` in."""
        found = [self.vintages[p] for c, p in self._pairs if c == vintage and self.vintages[p].level == level]
        return max(found, key=lambda v: v.date).id if found else None

    def parent_of(self, vintage: str, parent_vintage: str) -> pd.Series:
        """Code of each area of ``vintage`` → the area of ``parent_vintage`` it lies in (every area the
        lookups list, including one that no LSOA is best-fitted to)."""
        pairs = self._pairs.get((vintage, parent_vintage), pd.DataFrame(columns=["child", "parent"]))
        return pairs.drop_duplicates("child").set_index("child")["parent"]

    def carried(self, lsoa_vintage: str, vintage: str) -> pd.DataFrame:
        """(lsoa, group, share) rows putting the LSOAs of ``lsoa_vintage`` in the areas of ``vintage``
        when ``vintage`` is assigned from LSOAs of another vintage: through the change lookup between
        the two, an LSOA that was split shared among its parts by the population of the parts (by
        their count where no population is bundled). Empty when no lookup joins them."""
        direct = self.grouping(lsoa_vintage, vintage)
        if len(direct):
            return direct
        bases = [
            child
            for child, parent in self._pairs
            if parent == vintage and child != lsoa_vintage and self.vintages[child].level == "lsoa"
        ]
        for base in bases:
            pairs = self._changes_between(lsoa_vintage, base)
            if pairs.empty:
                continue
            weights = self.populations[base].counts if base in self.populations else None
            pieces = pairs.merge(self.grouping(base, vintage), left_on="to", right_on="lsoa")
            weight = pieces["to"].map(weights).fillna(0) if weights is not None else 1.0
            pieces = pieces.assign(weight=weight)
            total = pieces.groupby("from")["weight"].transform("sum")
            pieces["share"] = (pieces["weight"] / total).where(
                total > 0, 1 / pieces.groupby("from")["to"].transform("size")
            )
            shares = pieces.groupby(["from", "group"], as_index=False)["share"].sum()
            return shares.rename(columns={"from": "lsoa"})[["lsoa", "group", "share"]]
        return direct

    def fates(self, vintage: str, codes: pd.Series) -> dict[str, int]:
        """How many of ``codes`` (LSOAs of ``vintage``) the ONS change lookup says were unchanged,
        split, merged or irregularly redrawn in the next vintage."""
        rows = self.changes[(self.changes["old_vintage"] == vintage) & self.changes["old"].isin(codes)]
        return {str(k): int(v) for k, v in rows.drop_duplicates("old")["relation"].value_counts().items()}

    def _changes_between(self, source: str, target: str) -> pd.DataFrame:
        """(from, to) pairs of LSOA codes of ``source`` and ``target``, whichever way the lookup runs."""
        forward = self.changes[
            (self.changes["old_vintage"] == source) & (self.changes["new_vintage"] == target)
        ]
        if len(forward):
            return pd.DataFrame({"from": forward["old"].to_numpy(), "to": forward["new"].to_numpy()})
        backward = self.changes[
            (self.changes["new_vintage"] == source) & (self.changes["old_vintage"] == target)
        ]
        return pd.DataFrame({"from": backward["new"].to_numpy(), "to": backward["old"].to_numpy()})

    def successors(self, code: str) -> list[Related]:
        """What ``code`` became in the latest vintage of its kind, where that is not itself."""
        return self._across(code, later=True)

    def predecessors(self, code: str) -> list[Related]:
        """Where ``code`` came from in the earlier vintages of its kind that do not hold it."""
        return self._across(code, later=False)

    def _related(self, code: str, side: str) -> pd.DataFrame:
        """The links whose ``side`` (child or parent) is ``code``."""
        by_side = self._by[side]
        return by_side.loc[[code]] if code in by_side.index else by_side.iloc[:0]

    def _across(self, code: str, later: bool) -> list[Related]:
        held = self.held_by(code)
        if not held:
            return []
        level = held[0].level
        run = self.of_level(level)
        mine = held[-1] if later else held[0]
        others = [v for v in run if (v.date > mine.date if later else v.date < mine.date)]
        others = [v for v in others if v.id not in {h.id for h in held}]
        if level == "lsoa":
            return self._lsoa_changes(code, mine, others, later)
        targets = others[-1:] if later else others  # the latest successor; every older predecessor
        return [r for target in targets for r in self._overlaps(code, target)]

    def _lsoa_changes(self, code: str, mine: Vintage, others: list[Vintage], later: bool) -> list[Related]:
        ours, theirs = ("old", "new") if later else ("new", "old")
        wanted = {v.id for v in others}
        rows = self.changes[(self.changes[ours] == code) & self.changes[f"{theirs}_vintage"].isin(wanted)]
        return [
            Related(other, vintage, relation, 1.0, False)
            for other, vintage, relation in zip(
                rows[theirs], rows[f"{theirs}_vintage"], rows["relation"], strict=True
            )
        ]

    def lsoas_in(self, code: str) -> dict[str, set[str]]:
        """LSOA vintage → the LSOAs of that vintage inside ``code`` (through any chain of lookups)."""
        rows = self._related(code, "contents")
        return {
            vintage: set(group["child"])
            for vintage, group in rows.groupby("child_vintage", observed=True)
            if self.vintages[vintage].level == "lsoa"
        }

    def inside(self, code: str, vintage: str) -> set[str]:
        """The areas of ``vintage`` inside ``code``: those the lookups put in it, however far down, and
        those its LSOAs fall in by best fit (a region's wards, whose lookup names only districts)."""
        rows = self._related(code, "contents")
        found = set(rows.loc[rows["child_vintage"] == vintage, "child"])
        for lsoa_vintage, lsoas in self.lsoas_in(code).items():
            pairs = self._pairs.get((lsoa_vintage, vintage))
            if pairs is not None:
                found |= set(pairs.loc[pairs["child"].isin(lsoas), "parent"])
        return found

    def _overlaps(self, code: str, target: Vintage) -> list[Related]:
        """Areas of ``target`` that ``code``'s LSOAs fall in, with the share of its LSOAs in each."""
        for base, members in self.lsoas_in(code).items():
            mapped = set(members)
            into = self.grouping(base, target.id)
            if into.empty:  # the target is built on the other LSOA vintage: carry them across
                forward = self.changes[self.changes["old_vintage"] == base]
                backward = self.changes[self.changes["new_vintage"] == base]
                if len(forward):
                    mapped = set(forward.loc[forward["old"].isin(mapped), "new"])
                    into = self.grouping(forward["new_vintage"].iloc[0], target.id)
                elif len(backward):
                    mapped = set(backward.loc[backward["new"].isin(mapped), "old"])
                    into = self.grouping(backward["old_vintage"].iloc[0], target.id)
            shares = into[into["lsoa"].isin(mapped)]["group"].value_counts(normalize=True)
            if len(shares):
                return [
                    Related(other, target.id, "overlap", round(float(share), 3), True)
                    for other, share in shares.items()
                ]
        return []


def _read(data_dir: Path, entry: dict, vintages: dict[str, Vintage]) -> pd.DataFrame:
    unknown = sorted(set(entry["codes"].values()) - set(vintages))
    if unknown:
        raise ValueError(
            f"data/geography.toml: {entry['file']} names vintages not declared: {', '.join(unknown)}"
        )
    optional = set(entry.get("optional", []))  # empty outside England (a UK-wide file's regions)
    columns = {c: "optional-text" if c in optional else "code" for c in entry["codes"]}
    columns |= {n: "optional-text" if n in optional else "text" for n in entry.get("names", {}).values()}
    frame = read_input(data_dir / entry["file"], columns).drop_duplicates()
    if only := entry.get("only"):
        first = next(iter(entry["codes"]))
        frame = frame[frame[first].str.match(only)]
    return frame


def _changes(data_dir: Path, entry: dict) -> pd.DataFrame:
    frame = read_input(
        data_dir / entry["file"], {entry["old"]: "code", entry["new"]: "code", entry["code"]: "text"}
    )
    if only := entry.get("only"):
        frame = frame[frame[entry["old"]].str.match(only) & frame[entry["new"]].str.match(only)]
    return pd.DataFrame(
        {
            "old": frame[entry["old"]],
            "old_vintage": entry["from_vintage"],
            "new": frame[entry["new"]],
            "new_vintage": entry["to_vintage"],
            "relation": frame[entry["code"]].map(entry["meanings"]),
        }
    ).drop_duplicates()


def _closure(links: pd.DataFrame) -> pd.DataFrame:
    """Every containment the lookups imply: an LSOA in a ward in a district is in the district."""
    while True:
        chained = links.merge(
            links,
            left_on=["parent", "parent_vintage"],
            right_on=["child", "child_vintage"],
            suffixes=("", "_up"),
        )
        implied = chained[["child", "child_vintage", "parent_up", "parent_vintage_up"]].set_axis(
            LINK_COLUMNS, axis=1
        )
        grown = pd.concat([links, implied]).drop_duplicates(ignore_index=True)
        if len(grown) == len(links):
            return grown
        links = grown


_loaded: dict[Path, Gazetteer] = {}
_loading = threading.Lock()


def gazetteer(data_dir: Path = DATA_DIR) -> Gazetteer:
    """The gazetteer of ``data_dir``, loaded once: threads that ask while it loads wait for it rather
    than each loading their own (a server warms it in the background as it starts)."""
    with _loading:
        if data_dir not in _loaded:
            _loaded[data_dir] = Gazetteer.load(data_dir)
        return _loaded[data_dir]
