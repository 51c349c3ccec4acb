"""Direction of travel between two periods, with a progress rating that does not rely on colour alone."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .method import Method

RATING_WORDS = {
    "better": "better: the score rose by more than the threshold",
    "no-significant-change": "no significant change: the score moved by no more than the threshold",
    "worse": "worse: the score fell by more than the threshold",
}


def direction_of_travel(method: Method, earlier: pd.DataFrame, later: pd.DataFrame) -> pd.DataFrame:
    """Change and rating of every score present in both frames (same units × same columns).

    Scores are 0-100 with higher always better, so one threshold (in score points, published
    with the method) serves every indicator, component, dimension and the index.
    """
    earlier, later = earlier.align(later, join="inner")
    change = later - earlier
    threshold = method.progress_threshold
    rating = np.select(
        [change.to_numpy() > threshold, change.to_numpy() < -threshold, change.notna().to_numpy()],
        ["better", "worse", "no-significant-change"],
        default="",
    )
    long = change.stack(future_stack=True).rename("change").to_frame()
    long["rating"] = pd.DataFrame(rating, index=change.index, columns=change.columns).stack(future_stack=True)
    long["colour"] = long["rating"].map(lambda r: method.progress_colours.get(r, ""))
    long.index = long.index.set_names(["unit", "score"])
    return long.reset_index()
