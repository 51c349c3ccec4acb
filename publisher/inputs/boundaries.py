"""Area boundaries for maps: ONS generalised boundaries of London (LSOA 2011, wards December 2019,
boroughs 2019), simplified once by `make bundle` into data/boundaries/ and read by the map API.

Simplification keeps each polygon's topology (Douglas-Peucker, shapely) and rounds coordinates to
five decimals (about a metre); neighbouring polygons may gain slivers of a few metres, which a map
at borough scale does not show. For drawing only, never for computing.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path

from ..paths import DATA_DIR

LEVELS = ("lsoa", "ward", "lad")


def simplify(source: Path, target: Path, code_property: str, tolerance: float) -> dict:
    """Write the simplified FeatureCollection (properties: code only) and say what it took."""
    from shapely.geometry import mapping, shape  # maintainers only (make bundle)

    collection = json.loads(source.read_text(encoding="utf-8"))
    features = []
    for feature in collection["features"]:
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
def boundaries(level: str, data_dir: Path = DATA_DIR) -> dict[str, dict]:
    """Code → GeoJSON feature of every bundled area of ``level`` (empty when none are bundled)."""
    path = data_dir / "boundaries" / f"{level}.geojson.gz"
    if level not in LEVELS or not path.exists():
        return {}
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return {f["properties"]["code"]: f for f in json.load(handle)["features"]}
