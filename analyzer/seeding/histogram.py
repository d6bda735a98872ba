"""The `histogram` column rule: values whose statistics reproduce a column's `pg_stats`.

`pg-analyzer capture` writes it from staging's statistics:

    {histogram: {mcv: [[todo, 0.18], [done, 0.72]], bounds: [0, 12, 40, 300], width: 8,
                 correlation: 0.95}, distinct: 4000, null_fraction: 0.1}

The most common values get their frequencies (as shares of all rows, as pg_stats gives
them); the other rows are spread evenly over a pool of `distinct - len(mcv)` values placed
at evenly spaced quantiles between the histogram bounds, so ANALYZE on the twin finds the
same bounds, the same distinct count and the same MCV list. Text columns have no bounds
(their values are never copied): the pool is synthetic strings of the average width.
`correlation` puts the rows in value order (BRIN and index correlation depend on it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analyzer.errors import SeedError
from analyzer.seeding.generators import (
    DATE,
    DEFAULT_END,
    DEFAULT_START,
    FLOAT,
    INT,
    TEXT,
    TIMESTAMP,
    Col,
    Context,
    exact_fraction,
    pooled,
)
from analyzer.seeding.rules import Rule

_LETTERS = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)


def value_kind(pg_type: str) -> str:
    """How a column of this type is generated: int, float, date, timestamp or text."""
    t = pg_type.lower()
    if t in ("smallint", "integer", "bigint"):
        return INT
    if t.startswith(("numeric", "double precision", "real", "decimal")):
        return FLOAT
    if t == "date":
        return DATE
    if t.startswith("timestamp"):
        return TIMESTAMP
    return TEXT


def gen_histogram(rule: Rule, ctx: Context, n: int) -> Col:
    """`n` values: MCVs at their frequencies, the rest evenly over a quantile-placed pool."""
    arg = rule.arg if isinstance(rule.arg, Mapping) else {}
    kind = value_kind(ctx.column_types.get(rule.column, "text"))
    rng = ctx.rng(rule.column, "histogram")
    mcv = [] if rule.unique else [(m[0], float(m[1])) for m in arg.get("mcv") or []]
    nonnull_share = max(1e-9, 1.0 - rule.null_fraction)
    # The rows generate() will set to NULL (the same mask, drawn the same way): values go to the
    # others only, so the distinct count and the frequencies are those of the non-NULL rows.
    n_all = n
    nulls = np.zeros(n, dtype=bool)
    if rule.null_fraction > 0:
        nulls = exact_fraction(ctx.rng(rule.column, "nulls"), n, rule.null_fraction)
    n = int((~nulls).sum())
    counts = [round(n * f / nonnull_share) for _, f in mcv]  # pg_stats frequencies are shares of all rows
    while sum(counts) > n:  # rounding (or frequencies that sum past 1) must not ask for more rows
        counts[int(np.argmax(counts))] -= 1
    rest = n - sum(counts)
    distinct = n if rule.unique else (ctx.distinct(rule) or max(len(mcv), len(arg.get("bounds") or []) * 10, 1))
    pool_size = min(rest, max(0, distinct - len(mcv)))
    if rest > 0 and pool_size == 0 and not mcv:
        pool_size = 1
    mcv_values = _typed(rule, kind, [v for v, _ in mcv])
    pool = _pool(rule, kind, arg, pool_size, mcv_values, rng)
    pool_size = len(pool)
    codes = np.repeat(np.arange(len(mcv), dtype=np.int64), counts)
    if rest > 0 and pool_size > 0:
        codes = np.concatenate([codes, len(mcv) + rng.permutation(rest) % pool_size])
    elif rest > 0:  # no pool: the MCVs take the remaining rows in proportion
        weights = np.asarray([f for _, f in mcv], dtype=np.float64)
        codes = np.concatenate([codes, rng.choice(len(mcv), size=rest, p=weights / weights.sum())])
    codes = rng.permutation(codes)
    values = np.concatenate([mcv_values, pool]) if len(mcv_values) else pool
    if len(values) == 0:  # every row is NULL: any one value stands behind the mask
        values = _pool(rule, kind, arg, 1, mcv_values, rng)
    if rule.unique and kind in (INT, TIMESTAMP, DATE):
        values = _distinct_numbers(values)
    codes = _ordered(codes, values, float(arg.get("correlation") or 0.0), rng)
    out = np.zeros(n_all, dtype=np.int64)
    out[~nulls] = codes
    return pooled(kind, values, out)


def _typed(rule: Rule, kind: str, raw: Sequence[Any]) -> np.ndarray:
    """Values from the YAML as the column's numpy type."""
    if not raw:
        return _empty(kind)
    try:
        if kind == INT:
            return np.asarray([int(v) for v in raw], dtype=np.int64)
        if kind == FLOAT:
            return np.asarray([float(v) for v in raw], dtype=np.float64)
        if kind in (TIMESTAMP, DATE):
            micros = pd.to_datetime(pd.Series([str(v) for v in raw]), utc=True, format="mixed")
            stamps = micros.dt.tz_localize(None).to_numpy().astype("datetime64[us]")
            return np.asarray(stamps.astype("datetime64[D]") if kind == DATE else stamps)
    except (TypeError, ValueError) as e:
        raise SeedError(f"{rule.where}: histogram value does not fit the column: {e}") from None
    return np.asarray([str(v) for v in raw], dtype=object)


def _empty(kind: str) -> np.ndarray:
    dtype: Any = {INT: np.int64, FLOAT: np.float64, TIMESTAMP: "datetime64[us]", DATE: "datetime64[D]"}.get(kind, object)
    return np.asarray([], dtype=dtype)


def _pool(
    rule: Rule, kind: str, arg: Mapping[str, Any], size: int, mcv_values: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """`size` values at evenly spaced quantiles of the histogram (synthetic strings for text)."""
    if size <= 0:
        return _empty(kind)
    if kind == TEXT:
        return synthetic_strings(rng, size, int(arg.get("width") or 8))
    bounds = _typed(rule, kind, list(arg.get("bounds") or []))
    if len(bounds) < 2 and len(mcv_values) >= 2:
        bounds = np.sort(mcv_values)
    elif len(bounds) < 2 and kind in (TIMESTAMP, DATE):  # no statistics to go by: the default period
        bounds = _typed(rule, kind, [DEFAULT_START.isoformat(), DEFAULT_END.isoformat()])
    elif len(bounds) < 2:
        bounds = _typed(rule, kind, [0, max(size - 1, 1)])
    as_number = _numeric(bounds)
    quantiles = (np.arange(size) + 0.5) / size
    placed = np.interp(quantiles, np.linspace(0.0, 1.0, len(as_number)), as_number)
    if kind == FLOAT:
        return np.asarray(placed, dtype=np.float64)
    out = _fill_gaps(np.unique(np.rint(placed).astype(np.int64)), placed, rng)
    if kind == INT:
        return out
    if kind == DATE:
        return np.unique(out.astype("datetime64[D]"))
    return out.astype("datetime64[us]")


def _fill_gaps(values: np.ndarray, placed: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Whole numbers that rounding merged (a dense part of the histogram) replaced by the nearest
    unused ones, so the distinct count holds and the quantiles move as little as they can."""
    missing = len(placed) - len(values)
    if missing <= 0 or len(values) == 0:
        return values
    lo, hi = int(values[0]), int(values[-1])
    free = np.setdiff1d(np.arange(lo, hi + 1, dtype=np.int64), values) if hi - lo < 10_000_000 else np.array([], np.int64)
    if len(free) == 0:
        return values
    rounded = np.rint(placed).astype(np.int64)
    merged = placed[np.flatnonzero(np.r_[False, rounded[1:] == rounded[:-1]])]
    taken = np.zeros(len(free), dtype=bool)
    extra: list[int] = []
    for x in merged[rng.permutation(len(merged))]:
        i = int(np.searchsorted(free, x))
        left, right = i - 1, i
        while left >= 0 and taken[left]:
            left -= 1
        while right < len(free) and taken[right]:
            right += 1
        pick = right if left < 0 or (right < len(free) and free[right] - x < x - free[left]) else left
        if pick < 0 or pick >= len(free):
            break
        taken[pick] = True
        extra.append(int(free[pick]))
    return np.sort(np.concatenate([values, np.asarray(extra, dtype=np.int64)]))


def _numeric(values: np.ndarray) -> np.ndarray:
    """Dates as days, timestamps as microseconds, numbers as they are: interpolation works on these."""
    if np.issubdtype(values.dtype, np.datetime64):
        return values.astype(np.int64).astype(np.float64)
    return values.astype(np.float64)


def synthetic_strings(rng: np.random.Generator, size: int, width: int) -> np.ndarray:
    """`size` distinct lowercase strings of about `width` letters: random letters, then a counter."""
    digits = max(1, int(np.ceil(np.log(max(size, 2)) / np.log(26))))
    width = max(width, digits + 1)
    head = _LETTERS[rng.integers(0, 26, size=(size, width - digits))]
    counter = np.empty((size, digits), dtype=np.uint8)
    rest = np.arange(size)
    for d in range(digits - 1, -1, -1):
        counter[:, d] = _LETTERS[rest % 26]
        rest = rest // 26
    raw = np.ascontiguousarray(np.concatenate([head, counter], axis=1))
    return np.asarray(raw.view(f"S{width}").ravel().astype(str), dtype=object)


def _distinct_numbers(values: np.ndarray) -> np.ndarray:
    """Integers (or instants) made distinct by moving each repeat just past the previous value."""
    as_int = values.astype(np.int64)
    order = np.argsort(as_int, kind="stable")
    ranked = np.maximum.accumulate(as_int[order] - np.arange(len(as_int))) + np.arange(len(as_int))
    out = np.empty_like(as_int)
    out[order] = ranked
    return out.astype(values.dtype)


def _ordered(codes: np.ndarray, values: np.ndarray, correlation: float, rng: np.random.Generator) -> np.ndarray:
    """Rows in value order for a correlated column; a share 1 - |c| of them left where they fall."""
    if abs(correlation) < 0.5 or len(codes) < 2:
        return codes
    rank = np.argsort(np.argsort(_sortable(values), kind="stable"), kind="stable")
    ordered = codes[np.argsort(rank[codes], kind="stable")]
    if correlation < 0:
        ordered = ordered[::-1]
    loose = np.flatnonzero(rng.random(len(ordered)) > abs(correlation))
    ordered[loose] = ordered[rng.permutation(loose)]
    return ordered


def _sortable(values: np.ndarray) -> np.ndarray:
    if values.dtype == object:
        return np.asarray(pd.factorize(values, sort=True)[0])
    return values
