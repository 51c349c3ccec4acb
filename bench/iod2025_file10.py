"""How far the published imd-lad/2025 (Census 2021 population weights, the stated substitute for
IoD2025's File 6) is from the official File 10 v2, per index: |average score - official| (max, mean,
districts within 0.01 / 0.1 / 1), districts with the official rank of average score, and the largest
rank and average-rank differences. Reads the official File 10 v2 from ../shared (never bundled).
Figures go to bench/RESULTS.md. Usage: python bench/iod2025_file10.py"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from publisher.compute.indices import imd_summary  # noqa: E402
from publisher.inputs.datasets import load_datasets  # noqa: E402
from publisher.paths import DATA_DIR, SHARED_RAW_DIR  # noqa: E402
from publisher.rdf.uris import Minter  # noqa: E402
from tests.test_iod2025 import FILE10V2, measure  # noqa: E402

FILE10 = SHARED_RAW_DIR / "iod2025" / "IoD2025_File10v2_LAD_summaries_IMD_domains.csv"


def main() -> None:
    spec = next(s for s in load_datasets(DATA_DIR / "datasets.toml") if s.name == "imd-lad/2025")
    table = imd_summary.build(spec, Minter("http://127.0.0.1:8080/")).table
    official = pd.read_csv(FILE10).set_index("ltla24_code")
    print(
        "| index | max abs diff | mean abs diff | within 0.01 | within 0.1 | within 1 | same rank "
        "| max rank diff "
        "| max average-rank diff |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for component, prefix in FILE10V2.items():
        score = (
            measure(table, component, "average-score").reindex(official.index)
            - official[f"{prefix}_average_score"]
        )
        rank = measure(table, component, "rank-of-average-score").reindex(official.index)
        rank = (rank - official[f"{prefix}_rank_of_average_score"]).abs()
        average_rank = measure(table, component, "average-rank").reindex(official.index)
        average_rank = (average_rank - official[f"{prefix}_average_rank"]).abs()
        score = score.abs()
        within = " | ".join(str(int((score <= bound).sum())) for bound in (0.01, 0.1, 1))
        print(
            f"| {component} | {score.max():.3f} | {score.mean():.4f} | {within} | {int((rank == 0).sum())} "
            f"| {rank.max():.0f} | {average_rank.max():.1f} |"
        )


if __name__ == "__main__":
    main()
