"""`match_top` on a reference: a column copied down it takes the listed shares (no database).

The parents are seeded as the twin's would be (a tenant key with a zipf skew over tenants),
the children pick them through the reference, and the copied column's top frequencies are
measured on the generated rows.
"""

from __future__ import annotations

import numpy as np
import pytest

from analyzer.errors import SeedError
from analyzer.seeding.generators import Context, TableData, generate
from analyzer.seeding.ref_match import Shares, fitted_weights
from analyzer.seeding.rules import parse_rule


def _parents(n: int = 4000, orgs: int = 40) -> TableData:
    ctx = Context(7, "tasks", n, {"orgs": TableData("orgs", orgs, {"id": _seq(orgs, "orgs")})}, {})
    org_id = generate(parse_rule("tasks", "org_id", {"ref": "orgs.id", "distribution": "zipf", "s": 0.9}), ctx)
    return TableData("tasks", n, {"id": _seq(n, "tasks"), "org_id": org_id})


def _seq(n: int, table: str) -> object:
    return generate(parse_rule(table, "id", {"sequence": {}}), Context(7, table, n, {}, {}))


def _top(values: np.ndarray, k: int = 5) -> list[float]:
    _, counts = np.unique(values, return_counts=True)
    return sorted((counts / len(values)).tolist(), reverse=True)[:k]


def _children(rule: dict, parents: TableData, n: int = 60_000) -> tuple[np.ndarray, np.ndarray]:
    ctx = Context(7, "activity", n, {"tasks": parents}, {"ref:task_id": "tasks"})
    col = generate(parse_rule("activity", "task_id", rule), ctx)
    rows = col.parent_rows
    assert rows is not None
    org = np.asarray(parents.cols["org_id"].values)[rows]  # type: ignore[attr-defined]
    return np.asarray(col.values)[~col.null_mask()], org[~col.null_mask()]


def test_the_copied_column_takes_the_listed_shares() -> None:
    parents = _parents()
    wanted = [0.37, 0.08, 0.06, 0.05, 0.045]
    plain = {"ref": "tasks.id", "distribution": "zipf", "s": 0.6}
    _, org_plain = _children(plain, parents)
    task_ids, org = _children({**plain, "match_top": {"org_id": wanted}}, parents)
    assert max(abs(a - b) for a, b in zip(_top(org), wanted, strict=True)) < 0.01
    assert abs(_top(org_plain)[0] - wanted[0]) > 0.03  # without it the product of the two fits is elsewhere
    # the reference keeps its own skew: the busiest parents are about as busy as without match_top
    own_plain, own = _top(_children(plain, parents)[0], 5), _top(task_ids, 5)
    assert max(abs(a - b) for a, b in zip(own_plain, own, strict=True)) < 0.002


def test_shares_are_of_all_rows_when_the_reference_has_nulls() -> None:
    parents = _parents()
    rule = {"ref": "tasks.id", "distribution": "zipf", "s": 0.6, "null_fraction": 0.5, "match_top": {"org_id": [0.2]}}
    _, org = _children(rule, parents)
    assert abs(_top(org, 1)[0] * 0.5 - 0.2) < 0.01


def test_two_columns_are_met_together() -> None:
    rng = np.random.default_rng(1)
    natural = rng.random(1000) + 0.1
    a = Shares(rng.integers(0, 10, 1000), [0.3, 0.2])
    b = Shares(rng.integers(0, 7, 1000), [0.4])
    w = fitted_weights(natural, [a, b])
    for c in (a, b):
        shares = sorted(np.bincount(c.groups, weights=w).tolist(), reverse=True)
        assert max(abs(x - y) for x, y in zip(shares, c.targets, strict=False)) < 0.002


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"match_top": {"org_id": [0.7, 0.6]}}, "sum to at most 1"),
        ({"match_top": []}, "maps columns of the referenced table"),
        ({"match_top": {"org_id": ["x"]}}, "list of shares"),
        ({"distribution": "normal", "match_top": {"org_id": [0.1]}}, "uniform or zipf"),
    ],
)
def test_bad_match_top_is_a_one_line_error(extra: dict, message: str) -> None:
    with pytest.raises(SeedError, match=f"tables.activity.columns.task_id: .*{message}"):
        parse_rule("activity", "task_id", {"ref": "tasks.id", **extra})


def test_a_column_the_parent_lacks_is_named() -> None:
    with pytest.raises(SeedError, match="match_top names tasks.team_id"):
        _children({"ref": "tasks.id", "match_top": {"team_id": [0.1]}}, _parents())
