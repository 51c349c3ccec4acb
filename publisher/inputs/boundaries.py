"""Area boundaries for maps, one file per geography vintage, simplified once by `make bundle` into
data/boundaries/ and read by the map API: London's LSOAs (2011), wards (December 2019) and boroughs
(2019), and all of England's LSOAs (2021), wards (December 2022), districts (2024) and ICBs (2022).

data/bundle.toml says which vintage each file is and which later vintages it also draws: ward
polygons of 2022 draw the wards of 2024 and 2025 whose codes did not change (a changed ward has a
new code, so an old polygon is never drawn for a new area), and ICB boundaries of 2022 the ICBs of
2024 (unchanged until the mergers of April 2026).

Simplification keeps each polygon's topology (Douglas-Peucker, shapely) and rounds coordinates to
five decimals (about a metre); neighbouring polygons may gain slivers of a few metres, which a map
at borough scale does not show. For drawing only, never for computing.
"""

from __future__ import annotations

import gzip
import json
import re
import tomllib
from functools import cache
from pathlib import Path

from ..paths import DATA_DIR

LEVELS = ("lsoa", "ward", "lad", "icb")


def simplify(source: Path, target: Path, code_property: str, tolerance: float, only: str = "") -> dict:
    """Write the simplified FeatureCollection (properties: code only) of the features whose code
    matches ``only`` (all when empty) and say what it took."""
    from shapely.geometry import mapping, shape  # maintainers only (make bundle)

    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt", encoding="utf-8") as handle:
        collection = json.load(handle)
    features = []
    for feature in collection["features"]:
        if only and not re.match(only, feature["properties"][code_property]):
            continue
        geometry = mapping(shape(feature["geometry"]).simplify(tolerance, preserve_topology=True))
        features.append(
            {
                "type": "Feature",
                "properties": {"code": feature["properties"][code_property]},
                "geometry": {"type": geometry["type"], "coordinates": _rounded(geometry["coordinates"])},
            }
        )
    features.sort(key=lambda f: f["properties"]["code"])
    text = json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as handle:
        handle.write(text.encode("utf-8"))
    return {"features": len(features), "source_bytes": source.stat().st_size, "bytes": target.stat().st_size,
            "geojson_bytes": len(text)}  # fmt: skip


def _rounded(coordinates):
    if isinstance(coordinates[0], int | float):
        return [round(coordinates[0], 5), round(coordinates[1], 5)]
    return [_rounded(part) for part in coordinates]


@cache
def _drawing(data_dir: Path = DATA_DIR) -> dict[str, dict]:
    """Vintage → the data/bundle.toml entry of the boundary file that draws its areas."""
    spec = tomllib.loads((data_dir / "bundle.toml").read_text(encoding="utf-8"))
    return {
        vintage: entry
        for entry in spec.get("boundary", [])
        for vintage in (entry["vintage"], *entry.get("draws", ()))
    }


def drawn_vintages(data_dir: Path = DATA_DIR) -> dict[str, Path]:
    """Vintage → the bundled boundary file that draws its areas (data/bundle.toml)."""
    return {vintage: data_dir / entry["path"] for vintage, entry in _drawing(data_dir).items()}


def boundary_note(vintage: str | None, data_dir: Path = DATA_DIR) -> str:
    """Where the outlines of ``vintage`` come from, and the attribution their licence asks for."""
    entry = _drawing(data_dir).get(vintage or "")
    if entry is None:
        return f"No boundaries of {vintage} areas are bundled."
    return (
        f"Boundaries: {entry['title']} ({entry['publisher']}). Contains OS data © Crown copyright and "
        "database right; OGL v3.0."
    )


@cache
def _features(path: Path) -> dict[str, dict]:
    if not path.exists():
        return {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return {f["properties"]["code"]: f for f in json.load(handle)["features"]}


def boundaries(vintage: str | None, data_dir: Path = DATA_DIR) -> dict[str, dict]:
    """Code → GeoJSON feature of every bundled area of ``vintage`` (empty when none are bundled)."""
    path = drawn_vintages(data_dir).get(vintage or "")
    return _features(path) if path else {}
