"""The `histogram` column rule on its own: MCV frequencies, distinct counts, quantiles, order (no database)."""

from __future__ import annotations

import numpy as np

from analyzer.seeding.generators import Context, generate
from analyzer.seeding.rules import parse_rule


def _ctx(n: int, types: dict[str, str]) -> Context:
    return Context(7, "t", n, {}, types)


def test_mcvs_get_their_frequencies_and_the_rest_reaches_the_distinct_count() -> None:
    rule = parse_rule("t", "c", {"histogram": {"mcv": [[5, 0.3], [9, 0.1]], "bounds": [0, 300, 600, 3000]},
                                 "distinct": 400, "null_fraction": 0.2})
    col = generate(rule, _ctx(20_000, {"c": "integer"}))
    nulls = col.null_mask()
    assert abs(nulls.mean() - 0.2) < 1e-9
    values = col.values[~nulls].astype(np.int64)
    assert abs((values == 5).mean() * 0.8 - 0.3) < 0.005  # pg_stats frequencies are shares of all rows
    assert abs((values == 9).mean() * 0.8 - 0.1) < 0.005
    assert abs(len(np.unique(values)) - 400) <= 4
    rest = values[(values != 5) & (values != 9)]
    quartiles = np.quantile(rest, [1 / 3, 2 / 3])
    assert abs(quartiles[0] - 300) < 15 and abs(quartiles[1] - 600) < 30


def test_timestamps_follow_the_bounds_and_a_correlated_column_is_in_order() -> None:
    bounds = ["2024-01-01 00:00:00+00", "2024-02-01 00:00:00+00", "2024-12-01 00:00:00+00"]
    rule = parse_rule("t", "at", {"histogram": {"bounds": bounds, "correlation": 1.0}, "distinct": 5000})
    col = generate(rule, _ctx(5000, {"at": "timestamp with time zone"}))
    values = col.values.astype("datetime64[us]")
    assert np.all(np.diff(values.astype(np.int64)) >= 0)
    median = np.median(values.astype(np.int64)).astype("datetime64[us]")
    assert np.datetime64("2024-01-25") < median < np.datetime64("2024-02-08")
    assert len(np.unique(values)) == 5000


def test_text_is_synthetic_of_the_width_asked_and_unique_when_asked() -> None:
    rule = parse_rule("t", "email", {"histogram": {"width": 12}, "unique": True})
    col = generate(rule, _ctx(3000, {"email": "text"}))
    values = col.values.astype(str)
    assert len(set(values)) == 3000
    assert {len(v) for v in values} == {12}


def test_small_integer_ranges_keep_their_distinct_count() -> None:
    """Dense histograms round many quantiles to the same integer: the gaps are filled."""
    rule = parse_rule("t", "m", {"histogram": {"bounds": [5, 40, 55, 60, 65, 80, 480]}, "distinct": 220})
    col = generate(rule, _ctx(10_000, {"m": "integer"}))
    assert len(np.unique(col.values)) >= 215
    assert col.values.min() >= 5 and col.values.max() <= 480
