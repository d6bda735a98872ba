"""Column generators on their own: distributions, NULLs, uniqueness, correlation (no database)."""

from __future__ import annotations

import numpy as np
import pytest

from analyzer.errors import SeedError
from analyzer.seeding.generators import Context, TableData, generate, make_unique
from analyzer.seeding.rules import parse_rule


def _ctx(n: int, done: dict | None = None, types: dict | None = None, table: str = "t") -> Context:
    return Context(7, table, n, done or {}, types or {})


def test_weighted_choice_follows_weights() -> None:
    rule = parse_rule("t", "status", {"choice": {"done": 0.8, "todo": 0.15, "in_progress": 0.05}})
    col = generate(rule, _ctx(100_000))
    values, counts = np.unique(col.values.astype(str), return_counts=True)
    freq = dict(zip(values, counts / 100_000))
    assert abs(freq["done"] - 0.8) < 0.01 and abs(freq["in_progress"] - 0.05) < 0.01


def test_choice_weights_must_sum_to_one() -> None:
    with pytest.raises(SeedError, match="tables.t.columns.status: choice weights sum to 0.9"):
        parse_rule("t", "status", {"choice": {"a": 0.5, "b": 0.4}})


def test_null_fraction() -> None:
    col = generate(parse_rule("t", "c", {"int": {"min": 1, "max": 9}, "null_fraction": 0.3}), _ctx(50_000))
    assert abs(col.null_mask().mean() - 0.3) < 0.01


def test_zipf_references_are_skewed_and_valid() -> None:
    parent = TableData("p", 1000, {"id": generate(parse_rule("p", "id", {"sequence": {}}), _ctx(1000, table="p"))})
    col = generate(parse_rule("t", "p_id", {"ref": "p.id", "distribution": "zipf", "s": 1.1}), _ctx(100_000, {"p": parent}))
    assert set(np.unique(col.values)) <= set(range(1, 1001))
    counts = np.sort(np.bincount(col.values))[::-1]
    assert counts[0] > 20 * np.median(counts[counts > 0])  # a few very busy parents


def test_same_seed_same_values_other_seed_other_values() -> None:
    rule = parse_rule("t", "title", {"text": "title", "distinct": 5000})
    a = generate(rule, _ctx(20_000)).values
    b = generate(rule, _ctx(20_000)).values
    c = generate(rule, Context(8, "t", 20_000, {}, {})).values
    assert list(a) == list(b)
    assert list(a) != list(c)


def test_text_reaches_the_distinct_count_asked() -> None:
    col = generate(parse_rule("t", "title", {"text": "title", "distinct": 30_000}), _ctx(100_000))
    assert len(set(col.values)) == 30_000


def test_unknown_faker_provider_suggests_the_closest() -> None:
    with pytest.raises(SeedError, match=r"unknown Faker provider 'emial' \(closest: email"):
        generate(parse_rule("t", "c", {"faker": "emial"}), _ctx(10))


def test_unique_strings_get_a_suffix_before_the_at_sign() -> None:
    out = make_unique(np.asarray(["a@x.org", "b@x.org", "a@x.org", "c", "c"], dtype=object))
    assert len(set(out)) == 5 and out[2] == "a2@x.org" and out[4] == "c-2"


def test_unique_int_impossible_is_an_error() -> None:
    with pytest.raises(SeedError, match="unique is impossible"):
        generate(parse_rule("t", "c", {"int": {"min": 1, "max": 10}, "unique": True}), _ctx(100))


def test_after_is_later_and_only_when_condition_holds() -> None:
    ctx = _ctx(10_000, types={"completed_at": "timestamp with time zone"})
    ctx.cols["created_at"] = generate(parse_rule("t", "created_at", {"timestamp": {}}), ctx)
    ctx.cols["status"] = generate(parse_rule("t", "status", {"choice": {"done": 0.7, "todo": 0.3}}), ctx)
    done_rule = parse_rule("t", "completed_at", {"after": "created_at", "max": "10d", "when": {"status": "done"}})
    col = generate(done_rule, ctx)
    is_done = ctx.cols["status"].values == "done"
    assert (col.null_mask() == ~is_done).all()
    assert (col.values[is_done] > ctx.cols["created_at"].values[is_done]).all()


def test_self_reference_is_one_level_deep_within_the_group() -> None:
    ctx = _ctx(5000)
    ctx.cols["id"] = generate(parse_rule("t", "id", {"sequence": {}}), ctx)
    ctx.cols["project_id"] = generate(parse_rule("t", "project_id", {"int": {"min": 1, "max": 50}}), ctx)
    col = generate(parse_rule("t", "parent_id", {"ref": "t.id", "within": "project_id", "null_fraction": 0.8}), ctx)
    children = ~col.null_mask()
    assert 0.15 < children.mean() < 0.25
    parents = col.parent_rows[children]
    assert col.null_mask()[parents].all()  # a parent is never itself a subtask
    assert (ctx.cols["project_id"].values[parents] == ctx.cols["project_id"].values[children]).all()


def test_json_documents_have_typed_fields() -> None:
    import json

    rule = parse_rule("t", "payload", {"json": {"n": {"int": {"min": 1, "max": 3}}, "src": {"choice": ["web", "api"]}}})
    col = generate(rule, _ctx(100))
    docs = [json.loads(v) for v in col.values]
    assert all(isinstance(d["n"], int) and d["src"] in ("web", "api") for d in docs)


def test_unknown_rule_key_suggests() -> None:
    with pytest.raises(SeedError, match="did you mean 'null_fraction'"):
        parse_rule("t", "c", {"int": {}, "null_fractoin": 0.1})


def _chunks(rules: list, total: int, size: int, done: dict | None = None) -> list[dict]:
    """Generate `rules` a chunk at a time as the loader does (one shared dict across chunks)."""
    shared: dict = {}
    out = []
    for start in range(0, total, size):
        ctx = Context(7, "t", min(size, total - start), done or {}, {}, chunk=(start, total), shared=shared)
        for r in rules:
            ctx.cols[r.column] = generate(r, ctx)
        out.append(ctx.cols)
    return out


def test_a_chunked_column_reaches_the_distinct_count_of_the_whole_table() -> None:
    rule = parse_rule("t", "title", {"text": "title", "distinct": 30_000})
    chunks = _chunks([rule], 50_000, 10_000)
    assert len({v for c in chunks for v in c["title"].values}) == 30_000
    assert chunks[0]["title"].pool is chunks[1]["title"].pool  # made once, not once a chunk


def test_a_chunked_self_reference_points_at_roots_of_its_own_group() -> None:
    parent = TableData("p", 300, {"id": generate(parse_rule("p", "id", {"sequence": {}}), _ctx(300, table="p"))})
    rules = [
        parse_rule("t", "id", {"sequence": {}}),
        parse_rule("t", "project_id", {"ref": "p.id", "distribution": "zipf", "s": 0.8}),
        parse_rule("t", "parent_id", {"ref": "t.id", "within": "project_id", "null_fraction": 0.7}),
    ]
    chunks = _chunks(rules, 40_000, 10_000, {"p": parent})
    ids = np.concatenate([c["id"].values for c in chunks])
    project = np.concatenate([c["project_id"].values for c in chunks])
    parent_ids = np.concatenate([c["parent_id"].values for c in chunks])
    nulls = np.concatenate([c["parent_id"].null_mask() for c in chunks])
    assert 0.7 <= nulls.mean() < 0.75  # the asked roots, and a few children whose group had no root yet
    child = ~nulls
    by_id = dict(zip(ids.tolist(), range(len(ids))))
    parent_rows = np.asarray([by_id[i] for i in parent_ids[child]])
    assert (project[parent_rows] == project[child]).all()  # same project
    assert nulls[parent_rows].all()  # one level deep: parents are roots
    assert len(set(parent_ids[child])) > 1000  # spread over many roots, across chunks
