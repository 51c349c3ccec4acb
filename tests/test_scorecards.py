"""Direction of travel on a scorecard between two editions scored by one method: a change in score
points is rated against the threshold the method publishes (vocab/spi-london.ttl: 1.0), in words."""

from __future__ import annotations

import pytest

from api.scorecards import progress, underlying


@pytest.mark.parametrize(
    ("moved", "rating", "words"),
    [
        (1.5, "better", "better: up 1.5 points (more than the 1 that counts)"),
        (1.0, "no-significant-change", "no significant change (+1.0 points;"),
        (-0.4, "no-significant-change", "(-0.4 points;"),
        (-2.25, "worse", "worse: down 2.2 points"),
    ],
)
def test_a_change_counts_only_beyond_the_methods_threshold(moved, rating, words):
    key, said = progress(moved, 1.0)
    assert key == rating and words in said


def test_an_indicator_reads_in_its_own_unit_beside_its_score():
    said = underlying(0.213, "proportion", 0.27, "2019", "proportion (0 to 1)")
    assert said["text"] == "21.3 %, down from 27.0 % in 2019"
    rate = underlying(4.5, "per-1000-households", 3.0, "2019", "per 1,000 households")
    assert rate["text"] == "4.5 (per 1,000 households), up from 3 in 2019"
    assert underlying(0.2, "proportion", 0.2, "2019", "")["text"] == "20.0 %, as 20.0 % in 2019"
    assert underlying(0.2, "proportion", None, None, "")["text"] == "20.0 %"
    assert underlying(None, "proportion", 0.3, "2019", "") is None
