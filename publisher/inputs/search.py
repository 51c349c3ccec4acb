"""Finding an area by name or code, as people type them: every area of every bundled vintage of the
gazetteer (publisher/inputs/gazetteer.py), one result per code, found by any name a lookup has given
it (a ward renamed since 2019, a 2011 LSOA renumbered in 2021, a CCG's code reused by a sub-ICB
location), so a name from an old report still leads to its area.

Ranking is for people: an exact code first; then codes that start with what was typed, in code order;
then names that start with it; then names with a word starting with each typed word; then names with a
word one edit away from each typed word (a small misspelling: "Hackny"; words with digits, such as an
LSOA's "030A", are identifiers and are not respelt). Within a tier of names, an area's present name
comes before a former one, then larger kinds of area (a district before the constituency and wards that
share its name), then current areas before retired ones, then shorter names. Words are looked up in
sorted word lists and a deletion index, never by scanning every name, so a query costs a few lookups
whatever the size of the geography.
"""

from __future__ import annotations

import bisect
import heapq
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from .gazetteer import Gazetteer, gazetteer

# Larger kinds of area first: the order results of one tier are listed in.
LEVEL_ORDER = ("region", "icb", "lad", "pcon", "sub-icb", "stp", "ccg", "ward", "msoa", "lsoa")
CODE = re.compile(r"[A-Z]\d{8}")
CODE_START = re.compile(r"[A-Z]\d{2,7}")  # E09: the London boroughs; E050000: some wards
MAX_QUERY_CHARS = 200
TIERS = ("code", "code prefix", "name", "words", "near words")  # how a result matched, best first
NEAR_MIN_LETTERS = 4  # shorter words have too many neighbours one edit away to be worth suggesting


@dataclass(frozen=True)
class Entry:
    code: str
    name: str  # its latest name, or the code where no lookup names it
    level: str
    vintage: str  # the latest vintage that holds the code
    current: bool  # whether that vintage is the latest of its kind
    district: str  # the local authority district holding it in its latest vintage ("" if none)


@dataclass(frozen=True)
class Former:
    """A name the area no longer has, which is what matched, and the latest vintage that gives it."""

    name: str
    vintage: str


@dataclass(frozen=True)
class Found:
    entry: Entry
    tier: int  # an index of TIERS
    former: Former | None


def normalise(text: str) -> str:
    """Lower case, accents and punctuation away, '&' as 'and', single spaces."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = text.replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _respelt(word: str) -> bool:
    return len(word) >= NEAR_MIN_LETTERS and word.isalpha()


def _starting(words: list[str], start: str) -> range:
    """Where the words starting with ``start`` lie in the sorted list ``words``."""
    return range(bisect.bisect_left(words, start), bisect.bisect_left(words, start + "\x7f"))


class SearchIndex:
    def __init__(self, places: Gazetteer):
        self.places = places
        dates = {v.id: v.date for v in places.vintages.values()}
        latest_of_level = {
            level: places.of_level(level)[-1].id for level in {v.level for v in places.vintages.values()}
        }
        rows = places.names.rename_axis("code").reset_index()
        rows = rows.assign(date=rows["vintage"].map(dates)).sort_values("date", kind="stable")
        self.entries: list[Entry] = []
        for code, vintage in rows.drop_duplicates("code", keep="last")[["code", "vintage"]].itertuples(
            index=False
        ):
            level = places.vintages[vintage].level
            current = vintage == latest_of_level[level]
            self.entries.append(Entry(code, places.name(code) or code, level, vintage, current, ""))
        self.by_code = {e.code: i for i, e in enumerate(self.entries)}
        self.codes = sorted(self.by_code)
        # One name per distinct (code, name), from the latest vintage that gives it
        named = rows[rows["name"] != ""]
        named = named.assign(text=named["name"].map(normalise)).drop_duplicates(["code", "text"], keep="last")
        self.name_entry = [self.by_code[code] for code in named["code"]]
        self.names: list[str] = list(named["text"])
        self.formers = [
            None if text == normalise(self.entries[i].name) else Former(name, vintage)
            for i, text, name, vintage in zip(
                self.name_entry, self.names, named["name"], named["vintage"], strict=True
            )
        ]
        postings: dict[str, list[int]] = {}
        for n, text in enumerate(self.names):
            for word in set(text.split()):
                postings.setdefault(word, []).append(n)
        self.words = sorted(postings)
        self.postings = [postings[w] for w in self.words]
        self.order = sorted(range(len(self.names)), key=self.names.__getitem__)
        self.sorted_names = [self.names[n] for n in self.order]
        self.near: dict[str, list[str]] = {}
        for word in filter(_respelt, self.words):
            for variant in _deletions(word):
                self.near.setdefault(variant, []).append(word)

    def search(self, query: str, limit: int, offset: int = 0) -> tuple[list[Found], bool]:
        """The ``limit`` best areas after the first ``offset``, and whether more follow."""
        text = normalise(query)
        code = query.strip().upper()
        if CODE.fullmatch(code):  # a whole code is found exactly or not at all
            i = self.by_code.get(code)
            found = [] if i is None else [Found(self._with_district(self.entries[i]), 0, None)]
            return found[offset : offset + limit], False
        if not text:
            return [], False
        wanted = offset + limit + 1  # one more than shown says whether another page follows
        best: dict[int, tuple] = {}  # entry → rank of its best match, which ends with the name matched
        words = text.split()
        if CODE_START.fullmatch(code):  # in code order, as many as asked for: E01 starts 35,000 codes
            for place, k in enumerate(_starting(self.codes, code)[:wanted]):
                best[self.by_code[self.codes[k]]] = (1, place)
        tiers: tuple[Callable[[], set[int]], ...] = (
            lambda: set(self._name_prefix(text)),
            lambda: self._every_word(words, self._prefixed),
            lambda: self._every_word(words, self._near_or_prefixed),
        )
        for tier, matches in enumerate(tiers, start=2):
            if len(best) >= wanted:  # every later tier ranks below what is already found
                break
            for n in matches():
                i, rank = self.name_entry[n], self._rank(tier, n, text)
                if i not in best or rank < best[i]:
                    best[i] = rank
        ranked = heapq.nsmallest(wanted, best.items(), key=lambda item: item[1])
        return [
            Found(
                self._with_district(self.entries[i]),
                rank[0],
                self.formers[rank[-1]] if rank[0] > 1 else None,
            )
            for i, rank in ranked[offset : offset + limit]
        ], len(ranked) > offset + limit

    def _rank(self, tier: int, n: int, text: str) -> tuple:
        """Where name ``n``, matched at ``tier``, puts its area among the results; it ends with ``n``."""
        entry = self.entries[self.name_entry[n]]
        level = LEVEL_ORDER.index(entry.level) if entry.level in LEVEL_ORDER else len(LEVEL_ORDER)
        name = self.names[n]
        former = self.formers[n] is not None
        return (tier, former, level, not entry.current, name != text, len(name), name, entry.code, n)

    def _name_prefix(self, text: str) -> list[int]:
        return [self.order[k] for k in _starting(self.sorted_names, text)]

    def _prefixed(self, word: str) -> set[int]:
        return {n for k in _starting(self.words, word) for n in self.postings[k]}

    def _near_or_prefixed(self, word: str) -> set[int]:
        """Names with a word starting with ``word``, or the same as it once each has lost at most one
        letter (symmetric deletion): a letter dropped, added or changed, or two neighbours swapped."""
        found = self._prefixed(word)
        if not _respelt(word):
            return found
        candidates = set(self.near.get(word, ())) | {
            w for variant in _deletions(word) for w in (variant, *self.near.get(variant, ()))
        }
        for candidate in candidates:
            k = bisect.bisect_left(self.words, candidate)
            if k < len(self.words) and self.words[k] == candidate:
                found.update(self.postings[k])
        return found

    @staticmethod
    def _every_word(words: list[str], matches: Callable[[str], set[int]]) -> set[int]:
        result: set[int] | None = None
        for word in words:
            result = matches(word) if result is None else result & matches(word)
            if not result:
                return set()
        return result or set()

    def _with_district(self, entry: Entry) -> Entry:
        if entry.level in ("lad", "region", "icb", "sub-icb", "stp", "ccg", "pcon"):
            return entry
        parents = self.places.parents(entry.code)
        districts = [v for v in self.places.of_level("lad") if v.id in parents]
        district = parents[districts[-1].id] if districts else ""
        return Entry(entry.code, entry.name, entry.level, entry.vintage, entry.current, district)


_index: list[SearchIndex] = []
_building = threading.Lock()


def search_index() -> SearchIndex:
    """The index of the bundled geography, built once (a server builds it beside starting)."""
    with _building:
        if not _index:
            _index.append(SearchIndex(gazetteer()))
        return _index[0]
