"""merge_candidates: which candidates may count what they save a write (no database)."""

from __future__ import annotations

from analyzer.advisor.candidates import IndexCandidate
from analyzer.advisor.writesavers import merge_candidates


def test_a_wider_btree_on_the_write_candidates_leading_keys_names_the_write_too() -> None:
    """A parent delete checks time_entries(task_id); `(task_id, minutes)`, asked for by a query, is probed
    by that check as `(task_id)` is, so both may count it. A partial index or another leading key may not."""
    fk = IndexCandidate("time_entries", ("task_id",), "fk", writes=("purge_task",))
    wider = IndexCandidate("time_entries", ("task_id", "minutes"), "covering", queries=("task_detail",))
    partial = IndexCandidate("time_entries", ("task_id", "spent_on"), "partial", where="minutes > 0",
                             queries=("q",))
    other = IndexCandidate("time_entries", ("org_id", "task_id"), "btree", queries=("q",))
    same = IndexCandidate("time_entries", ("task_id",), "btree", queries=("task_detail",))
    merged = {c.keys: c for c in merge_candidates([wider, partial, other, same], [fk])}
    assert merged[("task_id", "minutes")].writes == ("purge_task",)
    assert merged[("task_id", "minutes")].queries == ("task_detail",)
    assert merged[("task_id",)].writes == ("purge_task",) and merged[("task_id",)].queries == ("task_detail",)
    assert merged[("task_id", "spent_on")].writes == () and merged[("org_id", "task_id")].writes == ()
    assert len(merged) == 4
