"""Finding an area by name or code, as people type them: every area of every bundled vintage of the
gazetteer (publisher/inputs/gazetteer.py), one entry per code with its latest name.

Ranking is for people: an exact code first; then names that start with what was typed; then names
with a word starting with each typed word; then names with a word one edit away from each typed word
(a small misspelling: "Hackny"). Within a tier larger kinds of area come first (a district before
the constituency and wards that share its name), then current areas before retired ones, then
shorter names. Words are looked up in sorted word lists and a deletion index, never by scanning
every name, so a query costs a few lookups whatever the size of the geography.
"""

from __future__ import annotations

import bisect
import heapq
import re
import threading
import unicodedata
from dataclasses import dataclass

from .gazetteer import Gazetteer, gazetteer

# Larger kinds of area first: the order results of one tier are listed in.
LEVEL_ORDER = ("region", "icb", "lad", "pcon", "sub-icb", "stp", "ccg", "ward", "msoa", "lsoa")
CODE = re.compile(r"^[A-Za-z]\d{8}$")
MAX_QUERY_CHARS = 200


@dataclass(frozen=True)
class Entry:
    code: str
    name: str
    level: str
    vintage: str  # the latest vintage that holds the code
    current: bool  # whether that vintage is the latest of its kind
    district: str  # the local authority district holding it in its latest vintage ("" if none)


@dataclass(frozen=True)
class Found:
    entry: Entry
    tier: int  # 0 code, 1 name prefix, 2 word prefixes, 3 near words


def normalise(text: str) -> str:
    """Lower case, accents and punctuation away, '&' as 'and', single spaces."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = text.replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class SearchIndex:
    def __init__(self, places: Gazetteer):
        self.places = places
        latest_of_level = {
            level: places.of_level(level)[-1].id for level in {v.level for v in places.vintages.values()}
        }
        by_code = places.names.assign(date=places.names["vintage"].map(lambda v: places.vintages[v].date))
        latest = by_code.sort_values("date", kind="stable").groupby(level=0).tail(1)
        self.entries: list[Entry] = []
        for code, vintage in zip(latest.index, latest["vintage"], strict=True):
            level = places.vintages[vintage].level
            self.entries.append(
                Entry(code, places.name(code) or code, level, vintage, vintage == latest_of_level[level], "")
            )
        self.names = [normalise(e.name) for e in self.entries]
        self.by_code = {e.code: i for i, e in enumerate(self.entries)}
        postings: dict[str, list[int]] = {}
        for i, name in enumerate(self.names):
            for word in set(name.split()):
                postings.setdefault(word, []).append(i)
        self.words = sorted(postings)
        self.postings = [postings[w] for w in self.words]
        self.order = sorted(range(len(self.names)), key=self.names.__getitem__)
        self.sorted_names = [self.names[i] for i in self.order]
        self.near: dict[str, list[str]] = {}
        for word in self.words:
            if len(word) >= 4:
                for variant in _deletions(word):
                    self.near.setdefault(variant, []).append(word)

    def search(self, query: str, limit: int) -> list[Found]:
        text = normalise(query)
        if not text:
            return []
        found: dict[int, int] = {}
        if CODE.fullmatch(query.strip()):  # a code is found exactly or not at all
            code = self.by_code.get(query.strip().upper())
            return [] if code is None else [Found(self._with_district(self.entries[code]), 0)]
        words = text.split()
        tiers = (
            lambda: self._name_prefix(text),
            lambda: self._every_word(words, self._prefixed),
            lambda: self._every_word(words, self._near_or_prefixed),
        )
        for tier, matches in enumerate(tiers, start=1):
            if len(found) >= limit:  # every later tier ranks below what is already found
                break
            for i in matches():
                found.setdefault(i, tier)
        ranked = heapq.nsmallest(limit, found.items(), key=lambda item: self._rank(*item, text))
        return [Found(self._with_district(self.entries[i]), tier) for i, tier in ranked]

    def _rank(self, i: int, tier: int, text: str) -> tuple:
        entry = self.entries[i]
        level = LEVEL_ORDER.index(entry.level) if entry.level in LEVEL_ORDER else len(LEVEL_ORDER)
        return (tier, level, not entry.current, self.names[i] != text, len(self.names[i]), self.names[i])

    def _name_prefix(self, text: str) -> list[int]:
        start = bisect.bisect_left(self.sorted_names, text)
        end = bisect.bisect_left(self.sorted_names, text + "\x7f")
        return [self.order[k] for k in range(start, end)]

    def _prefixed(self, word: str) -> set[int]:
        start = bisect.bisect_left(self.words, word)
        end = bisect.bisect_left(self.words, word + "\x7f")
        return {i for k in range(start, end) for i in self.postings[k]}

    def _near_or_prefixed(self, word: str) -> set[int]:
        """Entries with a word one edit from ``word`` (insertion, deletion or substitution), or
        starting with it."""
        found = self._prefixed(word)
        if len(word) < 4:
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
    def _every_word(words: list[str], matches) -> set[int]:
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
