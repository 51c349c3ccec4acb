"""The SPI engine on hand-checked cases (methods.md §1.7 T-SPI-1..6, §4.3 T-CI-1..2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from publisher.compute.spi import Aggregation, Method, MethodError, score
from publisher.compute.spi.diagnostics import cronbach_alpha, diagnose, kmo, pca_weights
from publisher.compute.spi.method import Indicator
from publisher.compute.spi.progress import direction_of_travel


def _method(**overrides) -> dict:
    """A two-dimension, three-component method; indicators a, b in c1, c in c2, d in c3."""
    spec = {
        "method": {"id": "t", "version": "1", "title": "t", "description": "", "index_label": "T"},
        "dimension": [{"id": "d1", "label": "D1"}, {"id": "d2", "label": "D2"}],
        "component": [
            {"id": "c1", "label": "C1", "dimension": "d1"},
            {"id": "c2", "label": "C2", "dimension": "d1"},
            {"id": "c3", "label": "C3", "dimension": "d2"},
        ],
        "indicator": [
            {"id": "a", "label": "A", "component": "c1", "unit": "u", "utopia": 90, "dystopia": 40},
            {"id": "b", "label": "B", "component": "c1", "unit": "u", "utopia": 0, "dystopia": 25},
            {"id": "c", "label": "C", "component": "c2", "unit": "u", "utopia": 100, "dystopia": 0},
            {"id": "d", "label": "D", "component": "c3", "unit": "u", "utopia": 100, "dystopia": 0},
        ],
    }
    for key, value in overrides.items():
        if key in spec["method"] or key in ("minimum_coverage", "imputation", "aggregation", "progress"):
            spec["method"][key] = value
        else:
            spec[key] = value
    return spec


def _panel(rows: dict[tuple[str, str], list[float]]) -> pd.DataFrame:
    index = pd.MultiIndex.from_tuples(list(rows), names=["unit", "period"])
    return pd.DataFrame(list(rows.values()), index=index, columns=["a", "b", "c", "d"], dtype="float64")


def test_indicator_scores_rescale_between_dystopia_and_utopia_and_clip():
    positive = Indicator("a", "A", "c", "u", utopia=90, dystopia=40)
    assert positive.score(np.array([65.0, 95.0, 10.0])).tolist() == [50.0, 100.0, 0.0]
    negative = Indicator("b", "B", "c", "u", utopia=0, dystopia=25)
    assert negative.score(np.array([5.0])).tolist() == pytest.approx([80.0])
    assert not negative.higher_is_better
    rooted = Indicator("s", "S", "c", "u", utopia=0, dystopia=10000, transform="sqrt")
    assert rooted.score(np.array([2500.0])).tolist() == pytest.approx([50.0])  # √2500 = 50 of √10000 = 100
    logged = Indicator("l", "L", "c", "u", utopia=1000, dystopia=10, transform="log")
    assert logged.score(np.array([100.0])).tolist() == pytest.approx([50.0])
    capped = Indicator("k", "K", "c", "u", utopia=100, dystopia=0, cap_high=50)
    assert capped.score(np.array([80.0])).tolist() == [50.0]


def test_reversing_polarity_with_swapped_goalposts_leaves_scores_unchanged():
    values = np.random.default_rng(6).uniform(-50, 150, 200)
    lower_is_better = Indicator("x", "X", "c", "u", utopia=-20, dystopia=120)
    mirrored = Indicator("x", "X", "c", "u", utopia=20, dystopia=-120)
    assert np.allclose(lower_is_better.score(values), mirrored.score(-values), atol=1e-12)


def test_aggregation_functions_match_hand_calculations():
    pair, equal = np.array([[1.0, 4.0]]), np.array([0.5, 0.5])
    assert Aggregation("arithmetic")(pair, equal)[0] == pytest.approx(2.5)
    assert Aggregation("geometric")(pair, equal)[0] == pytest.approx(2.0)
    assert Aggregation("generalised", p=0.5)(pair, equal)[0] == pytest.approx(2.25)
    assert Aggregation("generalised", p=-1)(pair, equal)[0] == pytest.approx(1.6)  # harmonic
    assert Aggregation("generalised", p=0.5)(np.array([[25.0, 100.0]]), equal)[0] == pytest.approx(56.25)
    with_gap = Aggregation("arithmetic")(np.array([[60.0, np.nan, 90.0]]), np.array([0.5, 0.25, 0.25]))
    assert with_gap[0] == pytest.approx((0.5 * 60 + 0.25 * 90) / 0.75)  # weights renormalise


def test_components_dimensions_and_index_follow_the_method():
    method = Method.from_mapping(_method(), "test")
    raw = _panel({("u1", "2019"): [65, 5, 70, 60]})
    scores = score(method, raw)
    assert scores.indicators.loc[("u1", "2019")].tolist() == pytest.approx([50, 80, 70, 60])
    assert scores.components.loc[("u1", "2019")].tolist() == pytest.approx([65, 70, 60])
    assert scores.dimensions.loc[("u1", "2019")].tolist() == pytest.approx([67.5, 60])
    assert scores.index.loc[("u1", "2019")] == pytest.approx(63.75)


def test_explicit_weights_are_used_and_must_sum_to_one():
    spec = _method()
    spec["component"][0]["weights"] = "explicit"
    spec["indicator"][0]["weight"], spec["indicator"][1]["weight"] = 0.75, 0.25
    scores = score(Method.from_mapping(spec, "test"), _panel({("u", "2019"): [65, 5, 70, 60]}))
    assert scores.components.loc[("u", "2019"), "c1"] == pytest.approx(0.75 * 50 + 0.25 * 80)
    spec["indicator"][1]["weight"] = 0.5
    with pytest.raises(MethodError, match="c1: indicator weights sum to 1.2500"):
        Method.from_mapping(spec, "test")


def test_missing_values_below_minimum_coverage_leave_the_component_and_above_it_missing():
    method = Method.from_mapping(_method(minimum_coverage=0.5), "test")
    raw = _panel({("u1", "2019"): [65, np.nan, 70, 60], ("u2", "2019"): [75, 5, np.nan, 20]})
    scores = score(method, raw)
    assert scores.components.loc[("u1", "2019"), "c1"] == pytest.approx(50)  # half the weight present
    assert np.isnan(scores.components.loc[("u2", "2019"), "c2"])  # nothing present
    assert np.isnan(scores.dimensions.loc[("u2", "2019"), "d1"])  # never a partial dimension
    assert np.isnan(scores.index.loc[("u2", "2019")])
    assert not scores.imputed.any().any()
    strict = score(Method.from_mapping(_method(minimum_coverage=1.0), "test"), raw)
    assert np.isnan(strict.components.loc[("u1", "2019"), "c1"])


def test_mean_group_mean_and_carried_forward_imputation_are_flagged():
    raw = _panel(
        {
            ("u1", "2018"): [50, 10, 40, 10],
            ("u1", "2019"): [60, np.nan, 50, 20],
            ("u2", "2019"): [70, 20, 60, 30],
            ("u3", "2019"): [80, 4, 70, 40],
        }
    )
    mean = score(Method.from_mapping(_method(imputation="mean", minimum_coverage=0.5), "test"), raw)
    assert mean.raw.loc[("u1", "2019"), "b"] == pytest.approx(12)  # mean of 20 and 4 in 2019 only
    assert mean.imputed.loc[("u1", "2019")].tolist() == [False, True, False, False]
    assert mean.imputed.sum().sum() == 1
    groups = pd.Series({"u1": "g1", "u2": "g1", "u3": "g2"})
    grouped = score(
        Method.from_mapping(_method(imputation="group-mean", minimum_coverage=0.5), "test"), raw, groups
    )
    assert grouped.raw.loc[("u1", "2019"), "b"] == pytest.approx(20)
    carried = score(Method.from_mapping(_method(imputation="locf", minimum_coverage=0.5), "test"), raw)
    assert carried.raw.loc[("u1", "2019"), "b"] == pytest.approx(10)
    assert carried.indicators.loc[("u1", "2019"), "b"] == pytest.approx(60)


def test_imputation_never_fills_a_component_below_minimum_coverage():
    raw = _panel({("u1", "2019"): [np.nan, np.nan, 50, 20], ("u2", "2019"): [70, 20, 60, 30]})
    scores = score(Method.from_mapping(_method(imputation="mean", minimum_coverage=0.5), "test"), raw)
    assert np.isnan(scores.components.loc[("u1", "2019"), "c1"])
    assert not scores.imputed.loc[("u1", "2019")].any()


def test_a_component_of_minimum_coverage_0_is_filled_whole_by_imputation():
    """A one-indicator component (c2) can only be imputed if nothing of it need be present."""
    raw = _panel({("u1", "2019"): [60, 10, np.nan, 20], ("u2", "2019"): [70, 20, 60, 30]})
    spec = _method(imputation="mean", minimum_coverage=0.5)
    strict = score(Method.from_mapping(spec, "test"), raw)
    assert np.isnan(strict.index.loc[("u1", "2019")])
    spec["component"][1]["minimum_coverage"] = 0
    filled = score(Method.from_mapping(spec, "test"), raw)
    assert filled.components.loc[("u1", "2019"), "c2"] == pytest.approx(60)  # u2's value, the only other
    assert filled.imputed.loc[("u1", "2019")].tolist() == [False, False, True, False]
    assert filled.components.loc[("u2", "2019")].equals(strict.components.loc[("u2", "2019")])
    spec["component"][1]["minimum_coverage"] = 1.5
    with pytest.raises(MethodError, match="component c2: minimum_coverage must be in"):
        Method.from_mapping(spec, "test")


def test_a_later_period_never_changes_earlier_scores():
    method = Method.from_mapping(_method(imputation="locf", minimum_coverage=0.5), "test")
    earlier = _panel({("u1", "2019"): [60, 10, 50, 20], ("u2", "2019"): [70, np.nan, 60, 30]})
    later = pd.concat([earlier, _panel({("u1", "2020"): [20, 1, 90, 99], ("u2", "2020"): [90, 2, 10, 5]})])
    before, after = score(method, earlier), score(method, later)
    pd.testing.assert_frame_equal(after.components.loc[earlier.index], before.components, check_exact=True)
    assert before.ranks()["index"].loc[earlier.index].equals(after.ranks()["index"].loc[earlier.index])


def test_ranks_put_the_highest_score_first_with_ties_at_the_minimum():
    method = Method.from_mapping(_method(), "test")
    raw = _panel(
        {("u1", "2019"): [65, 5, 70, 60], ("u2", "2019"): [65, 5, 70, 60], ("u3", "2019"): [90, 0, 100, 100]}
    )
    ranks = score(method, raw).ranks()["index"]["index"]
    assert ranks.tolist() == [2, 2, 1]


def test_cronbach_alpha_kmo_and_first_component():
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    perfect = np.column_stack([x, 2 * x + 3])
    assert cronbach_alpha(np.column_stack([x, x])) == pytest.approx(1.0)
    # α from the covariance form k²·mean(off-diagonal)/sum(all) (methods.md §1.4) agrees
    items = np.column_stack([x + rng.normal(scale=s, size=200) for s in (0.5, 0.8, 1.2)])
    covariance = np.cov(items, rowvar=False)
    off = covariance[~np.eye(3, dtype=bool)]
    assert cronbach_alpha(items) == pytest.approx(9 * off.mean() / covariance.sum())
    assert kmo(items[:, :2]) == pytest.approx(0.5)  # with two variables KMO is 0.5 whatever r is
    assert 0.5 < kmo(items) <= 1
    result = diagnose("c", ["a", "b", "c"], items)
    assert result.pc1_share > 0.6 and sum(result.pca_weights) == pytest.approx(1)
    assert pca_weights(np.column_stack([x, x, -0.0 + x])) == pytest.approx([1 / 3] * 3)
    assert diagnose("c", ["a"], x[:, None]).alpha is None
    assert diagnose("c", ["a", "b"], perfect).kmo == pytest.approx(0.5)


def test_direction_of_travel_rates_changes_against_the_published_threshold():
    method = Method.from_mapping(
        _method(progress={"threshold": 1.0, "colours": {"better": "#1a9850", "worse": "#d73027"}}), "test"
    )
    earlier = pd.DataFrame({"spi": [50.0, 50.0, 50.0, np.nan]}, index=["u1", "u2", "u3", "u4"])
    later = pd.DataFrame({"spi": [51.5, 49.5, 48.0, 60.0]}, index=["u1", "u2", "u3", "u4"])
    travel = direction_of_travel(method, earlier, later).set_index("unit")
    assert travel["rating"].to_dict() == {
        "u1": "better",
        "u2": "no-significant-change",
        "u3": "worse",
        "u4": "",
    }
    assert travel.loc["u1", "colour"] == "#1a9850" and travel.loc["u2", "colour"] == ""


def test_an_inapplicable_method_is_refused_naming_every_problem():
    spec = _method()
    spec["indicator"][0]["transform"] = "cube"
    spec["indicator"][1]["utopia"] = 25
    spec["indicator"][2]["component"] = "nowhere"
    spec["component"][2]["dimension"] = "d9"
    with pytest.raises(MethodError) as caught:
        Method.from_mapping(spec, "method.toml")
    message = str(caught.value)
    for expected in (
        "method.toml: indicator a: transform must be one of",
        "indicator b: utopia equals dystopia",
        "indicator c: unknown component 'nowhere'",
        "component c3: unknown dimension 'd9'",
        "component c2: no indicator",
    ):
        assert expected in message
