"""'Cite this': a formatted citation of a stable URI, in plain text and BibTeX."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Citation:
    uri: str
    plain: str
    bibtex: str


def cite(uri: str, title: str, publisher: str, issued: str = "", note: str = "") -> Citation:
    """Cite ``uri`` (an edition, revision, observation or page) as a dataset, with today's access date."""
    year = issued[:4] if issued else str(date.today().year)
    accessed = date.today().isoformat()
    parts = [f"{publisher} ({year}). {title}"]
    if note:
        parts.append(note)
    plain = ". ".join(parts) + f" [dataset]. {uri} (accessed {accessed})."
    key = "localindex-" + re.sub(r"[^a-z0-9]+", "-", uri.split("/", 3)[-1].lower())[-60:].strip("-")
    fields = [
        ("title", _bibtex_escape(title)),
        ("author", "{" + _bibtex_escape(publisher) + "}"),  # a corporate author: never split into names
        ("year", year),
        ("howpublished", "\\url{" + uri + "}"),
        ("url", uri),
        ("note", _bibtex_escape("; ".join(filter(None, [note, f"accessed {accessed}"])))),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    bibtex = f"@misc{{{key},\n{body}\n}}"
    return Citation(uri, plain, bibtex)


def _bibtex_escape(text: str) -> str:
    return re.sub(r"([&%$#_{}])", r"\\\1", text)
