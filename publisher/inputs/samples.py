"""Write the two sample submissions in data/submissions/ from real public data (`make samples`);
what they say about themselves is in data/submissions/samples.toml.

- lbbd-spi-2018: Barking and Dagenham's own 2018 borough Social Progress scores (LBBD Insight Hub,
  MIT licence), borough names matched to 2019 district codes, as LBBD would submit them.
- hackney-wards-2019: ward indicators a council builds from public LSOA data, here Hackney's 21 wards
  from the GLA's IoD2019 extract and IoD2019 File 6 populations (population-weighted from LSOA).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pandas as pd

from ..paths import DATA_DIR, SHARED_RAW_DIR

SAMPLES = DATA_DIR / "submissions"
LBBD_SOURCE = SHARED_RAW_DIR / "lbbd_spi" / "LBBD_SPI2018_London_boroughs.geojson"


def write_lbbd(target: Path, about: dict) -> None:
    features = json.loads(LBBD_SOURCE.read_text(encoding="utf-8"))["features"]
    districts = _read("lookups/wd19_lad19_rgn19.csv.gz")
    code_of = dict(zip(districts["lad_name"].str.upper(), districts["lad"], strict=False))
    rows = []
    for feature in features:
        properties = feature["properties"]
        code = code_of[properties["NAME"].upper()]  # a borough name not in the lookup stops the script
        for column, indicator, *_ in about["scores"]:
            row = {"area_code": code, "area_name": properties["NAME"].title(), "period": "2018"}
            rows.append(row | {"indicator_id": indicator, "value": properties[column]})
    indicators = [
        about["common"]
        | {
            "indicator_id": indicator,
            "label": label,
            "description": about["description"].format(label=label, property=column),
            "spi_component": component,
        }
        for column, indicator, label, component in about["scores"]
    ]
    _write(target, about["manifest"], pd.DataFrame(indicators), pd.DataFrame(rows))


def write_hackney(target: Path, about: dict) -> None:
    lookup = _read("lookups/lsoa11_wd19_lad19.csv.gz")
    lsoas = lookup[lookup["lad"] == about["district"]][["lsoa", "ward", "ward_name"]]
    frame = lsoas
    for name in (
        "iod2019/file6_population.csv.gz",
        "gla/lsoa_underlying_indicators_2019.csv.gz",
        "gla/lsoa_domain_scores_2019.csv.gz",
        "gla/lsoa_idaci_idaopi_scores_2019.csv.gz",
    ):
        frame = frame.merge(_read(name, numeric=True))
    frame = frame.merge(_read("iod2019/file1_imd.csv.gz", numeric=True)[["lsoa", "imd_decile"]])
    by_ward = frame.groupby(["ward", "ward_name"])
    values: dict[str, tuple] = {}
    for indicator, rate, base in (
        ("income-deprived", "income", "total"),
        ("children-income-deprived", "idaci", "children"),
        ("older-people-income-deprived", "idaopi", "older"),
    ):
        people = by_ward.apply(lambda g, r=rate, b=base: (g[r] * g[b]).sum(), include_groups=False)
        total = by_ward[base].sum()
        values[indicator] = (100 * people / total, people.round(), total.round())
    values["population"] = (by_ward["total"].sum().round(),)
    for indicator, column, scale in (
        ("overcrowding", "overcrowding", 100),
        ("homelessness", "homelessness", 1),
        ("distance-to-gp", "distance_gp", 1),
    ):
        weighted = by_ward.apply(lambda g, c=column: (g[c] * g["total"]).sum(), include_groups=False)
        values[indicator] = (scale * weighted / by_ward["total"].sum(),)
    values["lsoas-in-most-deprived-decile"] = (by_ward["imd_decile"].apply(lambda d: int((d == 1).sum())),)
    rows = []
    for indicator, (value, *parts) in values.items():
        for (ward, name), number in value.items():
            row = {"area_code": ward, "area_name": name, "period": "2019", "indicator_id": indicator}
            row["value"] = round(float(number), 3)
            if parts:
                row |= {"numerator": parts[0][(ward, name)], "denominator": parts[1][(ward, name)]}
            rows.append(row)
    indicators = [about["common"] | {"spi_component": ""} | entry for entry in about["indicator"]]
    _write(target, about["manifest"], pd.DataFrame(indicators), pd.DataFrame(rows))


def _read(name: str, numeric: bool = False) -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / name, dtype={"lsoa": str} if numeric else str)


def _write(target: Path, manifest: dict, indicators: pd.DataFrame, observations: pd.DataFrame) -> None:
    target.mkdir(parents=True, exist_ok=True)
    lines = ['format = "localindex-submission/1"']
    lines += [f"{key} = {json.dumps(value)}" for key, value in manifest.items()]
    lines += ['indicators = "indicators.csv"', 'observations = ["observations.csv"]']
    (target / "submission.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    columns = ["indicator_id", "label", "description", "unit", "polarity", "source", "licence"]
    columns += ["geography_level", "period_type", "spi_component"]
    indicators[columns].to_csv(target / "indicators.csv", index=False)
    for column in {"numerator", "denominator"} & set(observations.columns):
        observations[column] = observations[column].astype("Int64")
    observations.to_csv(target / "observations.csv", index=False)
    print(f"wrote {target} ({len(indicators)} indicators, {len(observations)} rows)")


def main() -> None:
    with (SAMPLES / "samples.toml").open("rb") as handle:
        samples = tomllib.load(handle)
    write_lbbd(SAMPLES / "lbbd-spi-2018", samples["lbbd-spi-2018"])
    write_hackney(SAMPLES / "hackney-wards-2019", samples["hackney-wards-2019"])


if __name__ == "__main__":
    main()
