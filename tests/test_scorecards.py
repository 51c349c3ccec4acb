"""Direction of travel on a scorecard between two editions scored by one method: a change in score
points is rated against the threshold the method publishes (vocab/spi-london.ttl: 1.0), in words."""

from __future__ import annotations

import pytest

from api.scorecards import progress


@pytest.mark.parametrize(
    ("moved", "rating", "words"),
    [
        (1.5, "better", "up 1.5 points since 2019"),
        (1.0, "no-significant-change", "+1.0 points"),
        (-0.4, "no-significant-change", "-0.4 points"),
        (-2.25, "worse", "down 2.2 points since 2019"),
    ],
)
def test_a_change_counts_only_beyond_the_methods_threshold(moved, rating, words):
    key, said = progress(moved, 1.0, "2019")
    assert key == rating and words in said
