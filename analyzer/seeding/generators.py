"""Vectorized column generators: numpy arrays of values, sampled from pools, never row by row.

Faker is slow (tens of microseconds a call), so it only fills small pools; the rows are
numpy samples from those pools. Text columns reach the distinct count a rule asks for by
combining pools. Skew comes from zipf or normal distributions over references and numbers.
"""

from __future__ import annotations

import difflib
import functools
import json
import math
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from faker import Faker

from analyzer.errors import SeedError
from analyzer.seeding.rules import Rule, parse_duration, parse_instant

# Value kinds decide how a column is written in COPY text format.
INT, FLOAT, TEXT, TIMESTAMP, DATE, BOOL = "int", "float", "text", "timestamp", "date", "bool"
JSON = "json"  # text that is already a JSON document (embedded as is in an enclosing template)

DEFAULT_START = datetime(2023, 1, 1, tzinfo=UTC)
DEFAULT_END = datetime(2026, 11, 1, tzinfo=UTC)
MAX_POOL = 2_000  # Faker calls per column (about 50 us each); beyond, values are combined
KEPT_PARENT_SHARES = 100  # match_top: the most popular parents whose own shares are kept
ZIPF_HEAD = 4096  # ranks drawn exactly; the long tail follows the continuous power law


class Col:
    """A generated column: values, an optional NULL mask, and for references the parent row index.

    Values drawn from a pool keep their codes (values == pool[codes]) and are only
    materialized when something asks for them: encoders and comparisons work on the pool
    once instead of on every row.
    """

    __slots__ = ("_values", "codes", "kind", "nulls", "parent_rows", "pool")

    def __init__(
        self,
        kind: str,
        values: np.ndarray | None = None,
        nulls: np.ndarray | None = None,
        parent_rows: np.ndarray | None = None,  # for ref columns: row index into the parent table
        pool: np.ndarray | None = None,
        codes: np.ndarray | None = None,
    ) -> None:
        if values is None and (pool is None or codes is None):
            raise ValueError("a column needs values, or a pool and codes")
        self.kind = kind
        self._values = values
        self.nulls = nulls
        self.parent_rows = parent_rows
        self.pool = pool
        self.codes = codes

    @property
    def values(self) -> np.ndarray:
        if self._values is None:
            assert self.pool is not None and self.codes is not None
            self._values = self.pool[self.codes]
        return self._values

    def __len__(self) -> int:
        return len(self.codes) if self._values is None and self.codes is not None else len(self.values)

    def null_mask(self) -> np.ndarray:
        return self.nulls if self.nulls is not None else np.zeros(len(self), dtype=bool)

    def take(self, rows: np.ndarray) -> Col:
        """The rows `rows` of this column, pool and codes kept."""
        return Col(
            self.kind,
            self._values[rows] if self._values is not None else None,
            nulls=self.nulls[rows] if self.nulls is not None else None,
            parent_rows=self.parent_rows[rows] if self.parent_rows is not None else None,
            pool=self.pool,
            codes=self.codes[rows] if self.codes is not None else None,
        )

    def matches(self, allowed: list[Any]) -> np.ndarray:
        """Which rows hold one of `allowed` (compared as text)."""
        wanted = [str(a) for a in allowed]
        if self.codes is not None and self.pool is not None:
            hit = np.flatnonzero(np.isin(self.pool.astype(str), wanted))
            return np.isin(self.codes, hit)
        return np.isin(self.values.astype(str), wanted)


def pooled(kind: str, pool: np.ndarray, codes: np.ndarray) -> Col:
    """A column whose rows are `pool[codes]`."""
    return Col(kind, None, pool=pool, codes=codes)


@dataclass
class TableData:
    """What has been generated for a table, kept while other tables may refer to it."""

    name: str
    n: int
    cols: dict[str, Col]
    # parent-row weights of the references to this table that use match_top, by (child table, column)
    fitted: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)


class Context:
    """Everything a generator may look at: the seed, the row count, this table so far, other tables."""

    def __init__(
        self,
        seed: int,
        table: str,
        n: int,
        done: Mapping[str, TableData],
        column_types: Mapping[str, str],
        sequence_offsets: Mapping[str, int] | None = None,
        scale: float = 1.0,
        chunk: tuple[int, int] | None = None,
        shared: dict[Any, Any] | None = None,
    ):
        self.seed = seed
        self.table = table
        self.n = n
        self.done = done
        self.cols: dict[str, Col] = {}
        self.column_types = column_types
        self.sequence_offsets = sequence_offsets or {}
        self.scale = scale  # `distinct` counts scale with the rows, so ratios hold at any --scale
        # (first row, rows of the whole table) when the table is generated a chunk at a time
        self.chunk = chunk
        # what every chunk of the table shares (value pools, the roots of a self-reference):
        # made by the first chunk, kept by the caller for the next ones
        self.shared: dict[Any, Any] = {} if shared is None else shared

    def distinct(self, rule: Rule) -> int | None:
        """The rule's `distinct` at this scale."""
        return None if rule.distinct is None else max(1, round(rule.distinct * self.scale))

    def rng(self, column: str, salt: str = "") -> np.random.Generator:
        """Draws for this table's rows (a chunk's own stream when generated in chunks)."""
        key = [self.seed, _crc(self.table), _crc(column), _crc(salt)]
        return np.random.default_rng(key + [self.chunk[0]] if self.chunk and self.chunk[0] else key)

    def pool_rng(self, column: str, salt: str = "") -> np.random.Generator:
        """Draws that every chunk must share: value pools, which parents are the popular ones."""
        return np.random.default_rng([self.seed, _crc(self.table), _crc(column), _crc(salt)])

    @property
    def first_row(self) -> int:
        return self.chunk[0] if self.chunk else 0

    @property
    def total_rows(self) -> int:
        return self.chunk[1] if self.chunk else self.n

    def pool_rows(self, n: int) -> int:
        """Rows a value pool serves: the whole table, not only this chunk (`distinct` holds for the table)."""
        return max(n, self.total_rows)

    def cached(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        """`make()` once per table: pools are drawn from `pool_rng`, so every chunk would make the same one."""
        if key not in self.shared:
            self.shared[key] = make()
        return self.shared[key]

    def null_count(self, n: int, fraction: float) -> int:
        """NULLs in these rows: chunks add up to exactly round(total × fraction)."""
        if self.chunk is None or n != self.n:
            return round(n * fraction)
        start = self.chunk[0]
        return round((start + n) * fraction) - round(start * fraction)

    def faker(self, locale: str, column: str) -> Faker:
        fake = Faker(locale)
        fake.seed_instance(self.seed * 1_000_003 + _crc(self.table + "." + column))
        return fake


def _crc(text: str) -> int:
    return zlib.crc32(text.encode())


def generate(rule: Rule, ctx: Context, n: int | None = None) -> Col:
    """Generate `n` (default: the table's row count) values for a rule, NULLs applied."""
    n = ctx.n if n is None else n
    maker = _GENERATORS.get(rule.kind)
    if maker is None:
        raise SeedError(f"{rule.where}: the '{rule.kind}' kind cannot be used here")
    col = maker(rule, ctx, n)
    self_ref = rule.kind == "ref" and str(rule.arg).rsplit(".", 1)[0] == ctx.table
    handles_own_nulls = rule.kind == "after" or self_ref
    if rule.null_fraction > 0 and not handles_own_nulls:
        mask = exact_count(ctx.rng(rule.column, "nulls"), n, ctx.null_count(n, rule.null_fraction))
        col.nulls = mask if col.nulls is None else (col.nulls | mask)
    if any(rule.options.get(m) for m in ("nulls_with", "nulls_without", "required_without", "at_least")):
        col = _related(rule, ctx, col, n)
    if rule.options.get("max_length") is not None or rule.options.get("min_length") is not None:
        col = _fit_length(rule, col)
    if rule.options.get("case"):
        col = _fold_case(rule, col)
    return col


def _fold_case(rule: Rule, col: Col) -> Col:
    """Text in one case (a unique index on lower(col)): folded first, made unique again after, so
    the values stay unique under the index's expression."""
    if col.kind != TEXT:
        return col
    upper = rule.options.get("case") == "upper"

    def fold(values: np.ndarray) -> np.ndarray:
        texts = pc.utf8_upper(pa.array(values, type=pa.string())) if upper else pc.utf8_lower(
            pa.array(values, type=pa.string()))
        return np.asarray(texts.to_numpy(zero_copy_only=False), dtype=object)

    if col.pool is not None and col.codes is not None and col._values is None:
        codes, pool = pd.factorize(fold(col.pool))  # two values folding to one share it
        pool = np.asarray(pool, dtype=object)
        new_codes = codes[col.codes]
        if rule.unique:
            return Col(col.kind, make_unique(pool[new_codes]), nulls=col.nulls, parent_rows=col.parent_rows)
        return Col(col.kind, None, nulls=col.nulls, parent_rows=col.parent_rows, pool=pool, codes=new_codes)
    values = fold(col.values)
    return Col(col.kind, make_unique(values) if rule.unique else values, nulls=col.nulls, parent_rows=col.parent_rows)


def _other(rule: Rule, ctx: Context, name: str, n: int) -> Col:
    other = ctx.cols.get(name)
    if other is None or len(other) != n:
        raise SeedError(f"{rule.where}: depends on {name}, which has no values here")
    return other


def _related(rule: Rule, ctx: Context, col: Col, n: int) -> Col:
    """Multi-column CHECK forms: NULL together, exactly one of two, and `a <= b`."""
    opts = rule.options
    if opts.get("nulls_with"):
        col.nulls = _other(rule, ctx, str(opts["nulls_with"]), n).null_mask().copy()
    if opts.get("nulls_without"):
        col.nulls = ~_other(rule, ctx, str(opts["nulls_without"]), n).null_mask()
    if opts.get("required_without"):
        other_nulls = _other(rule, ctx, str(opts["required_without"]), n).null_mask()
        col.nulls = col.null_mask() & ~other_nulls
    if opts.get("at_least"):
        low = _other(rule, ctx, str(opts["at_least"]), n)
        values = np.asarray(col.values)
        base = np.asarray(low.values)
        if values.dtype.kind == "M":
            base = base.astype(values.dtype)
            step = np.timedelta64(1, "s") if opts.get("strict") else np.timedelta64(0, "s")
        elif values.dtype.kind in "iu":
            base = base.astype(values.dtype)
            step = 1 if opts.get("strict") else 0  # type: ignore[assignment]
        elif values.dtype.kind == "f":
            base = base.astype(values.dtype)
            step = 0.01 if opts.get("strict") else 0.0  # type: ignore[assignment]
        else:
            raise SeedError(f"{rule.where}: at_least needs numbers or times, {rule.column} is {col.kind}")
        both = ~low.null_mask()
        out = values.copy()
        out[both] = np.maximum(values[both], base[both] + step)
        col = Col(col.kind, out, nulls=col.nulls, parent_rows=col.parent_rows)
    return col


def _fit_length(rule: Rule, col: Col) -> Col:
    """Text cut to `max_length` and padded to `min_length` (varchar(n), CHECK (length(x) ...))."""
    if col.kind not in (TEXT,):
        return col
    hi = rule.options.get("max_length")
    lo = int(rule.options.get("min_length") or 0)

    def fit(values: np.ndarray) -> np.ndarray:
        out = np.asarray([str(v) for v in values], dtype=object)
        if hi is not None:
            out = np.asarray([v[: int(hi)] for v in out], dtype=object)
        if lo:
            out = np.asarray([v if len(v) >= lo else v + "x" * (lo - len(v)) for v in out], dtype=object)
        return out

    if col.pool is not None and col.codes is not None and col._values is None:
        return Col(col.kind, None, nulls=col.nulls, parent_rows=col.parent_rows, pool=fit(col.pool), codes=col.codes)
    return Col(col.kind, fit(col.values), nulls=col.nulls, parent_rows=col.parent_rows)


def exact_fraction(rng: np.random.Generator, n: int, fraction: float) -> np.ndarray:
    """A mask with exactly round(n * fraction) rows set, at random places (NULLs as asked, not about)."""
    return exact_count(rng, n, round(n * fraction))


def exact_count(rng: np.random.Generator, n: int, count: int) -> np.ndarray:
    """A mask with `count` rows set at random places (the smaller side drawn: no permutation of all rows)."""
    flip = count > n // 2
    mask = np.full(n, flip, dtype=bool)
    mask[rng.choice(n, size=n - count if flip else count, replace=False, shuffle=False)] = not flip
    return mask


def _indices(
    rule: Rule, rng: np.random.Generator, size: int, n: int, ctx: Context | None = None, salt: str = ""
) -> np.ndarray:
    """Indices 0..size-1 drawn by the rule's distribution; zipf ranks are shuffled over the pool.

    With `ctx`, the shuffle comes from the table's pool stream (every chunk of a table must agree
    on the popular values) and is made once for all chunks.
    """
    if size <= 0:
        raise SeedError(f"{rule.where}: nothing to choose from")
    if rule.distribution == "uniform":
        return rng.integers(0, size, n)
    if rule.distribution == "zipf":
        if ctx is not None:
            perm = ctx.cached(("zipf order", rule.column, salt, size),
                              lambda: ctx.pool_rng(rule.column, salt).permutation(size))
        else:
            perm = rng.permutation(size)
        return np.asarray(perm[zipf_ranks(rng, size, rule.s, n)])
    mean = rule.mean if rule.mean is not None else size / 2
    sd = rule.sd if rule.sd is not None else size / 6
    return np.clip(np.rint(rng.normal(mean, sd, n)), 0, size - 1).astype(np.int64)


def zipf_ranks(rng: np.random.Generator, size: int, s: float, n: int) -> np.ndarray:
    """0-based ranks with P(rank k) proportional to (k + 1) ** -s.

    The first ZIPF_HEAD ranks are drawn exactly from their CDF (small enough to stay in
    cache); the tail, where neighbouring ranks are almost equally likely, follows the
    continuous power law. A searchsorted over a million-entry CDF is what this avoids.
    """
    head = min(size, ZIPF_HEAD)
    weights = np.arange(1, head + 1, dtype=np.float64) ** (-s)
    head_mass = float(weights.sum())
    a, b = head + 0.5, size + 0.5
    tail_mass = _power_integral(a, b, s) if size > head else 0.0
    out = sample_weighted(rng, weights, n)
    if tail_mass > 0:
        in_tail = np.flatnonzero(rng.random(n) < tail_mass / (head_mass + tail_mass))
        x = _power_inverse(a, rng.random(len(in_tail)) * tail_mass, s)
        out[in_tail] = np.clip(np.floor(x + 0.5).astype(np.int64) - 1, head, size - 1)
    return out


def sample_weighted(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """`n` indices drawn with probabilities proportional to `weights` (Walker's alias method).

    Two lookups in small tables per draw instead of a binary search: several times faster
    than a searchsorted over the CDF for the millions of draws a table needs.
    """
    prob, alias = _alias_table(tuple(weights.tolist()))
    # one uniform per draw: its integer part picks the column, its fraction the side
    u = rng.random(n) * len(prob)
    picked = u.astype(np.int64)
    keep = (u - picked) < prob[picked]
    return np.where(keep, picked, alias[picked])


@functools.lru_cache(maxsize=64)
def _alias_table(weights: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    k = len(weights)
    scaled = np.asarray(weights, dtype=np.float64) * (k / sum(weights))
    prob = np.ones(k)
    alias = np.arange(k)
    small = [i for i in range(k) if scaled[i] < 1.0]
    large = [i for i in range(k) if scaled[i] >= 1.0]
    while small and large:
        lo, hi = small.pop(), large.pop()
        prob[lo], alias[lo] = scaled[lo], hi
        scaled[hi] -= 1.0 - scaled[lo]
        (small if scaled[hi] < 1.0 else large).append(hi)
    return prob, alias


def _power_integral(a: float, b: float, s: float) -> float:
    if abs(s - 1.0) < 1e-9:
        return math.log(b / a)
    return float((b ** (1 - s) - a ** (1 - s)) / (1 - s))


def _power_inverse(a: float, v: np.ndarray, s: float) -> np.ndarray:
    """x such that the integral of t ** -s from a to x is v."""
    if abs(s - 1.0) < 1e-9:
        return np.asarray(a * np.exp(v))
    return np.asarray((a ** (1 - s) + v * (1 - s)) ** (1 / (1 - s)))


def _gen_value(rule: Rule, ctx: Context, n: int) -> Col:
    v = rule.arg
    if rule.unique and n > 1:
        raise SeedError(f"{rule.where}: unique is impossible: a constant for {n} rows")
    if isinstance(v, bool):
        return Col(BOOL, np.full(n, v))
    if isinstance(v, int):
        return Col(INT, np.full(n, v, dtype=np.int64))
    if isinstance(v, float):
        return Col(FLOAT, np.full(n, v))
    if v is None:
        return Col(TEXT, np.full(n, "", dtype=object), nulls=np.ones(n, dtype=bool))
    return Col(TEXT, np.full(n, str(v), dtype=object))


def _gen_sequence(rule: Rule, ctx: Context, n: int) -> Col:
    arg = rule.arg if isinstance(rule.arg, Mapping) else {}
    start, step = int(arg.get("start", 1)), int(arg.get("step", 1))
    used = ctx.sequence_offsets.get(rule.column)  # --append: the largest value already in the table
    if used is not None and step > 0 and used >= start:
        start += step * ((used - start) // step + 1)
    start += step * ctx.first_row
    return Col(INT, start + step * np.arange(n, dtype=np.int64))


def _gen_int(rule: Rule, ctx: Context, n: int) -> Col:
    arg = rule.arg or {}
    lo, hi = int(arg.get("min", 0)), int(arg.get("max", 1000))
    if hi < lo:
        raise SeedError(f"{rule.where}: max {hi} is below min {lo}")
    rng = ctx.rng(rule.column)
    ranges = rule.options.get("ranges")
    if ranges and not rule.unique:
        return Col(INT, _in_ranges(rng, [(float(a), float(b)) for a, b in ranges], n, integer=True).astype(np.int64))
    if rule.unique:
        if hi - lo + 1 < n:
            raise SeedError(f"{rule.where}: unique is impossible: {hi - lo + 1} values in [{lo}, {hi}] for {n} rows")
        return Col(INT, lo + rng.choice(hi - lo + 1, size=n, replace=False).astype(np.int64))
    if rule.distribution == "uniform":
        return Col(INT, rng.integers(lo, hi + 1, n, dtype=np.int64))
    return Col(INT, lo + _indices(rule, rng, hi - lo + 1, n, ctx).astype(np.int64))


def _gen_numeric(rule: Rule, ctx: Context, n: int) -> Col:
    arg = rule.arg or {}
    lo, hi = float(arg.get("min", 0)), float(arg.get("max", 1000))
    decimals = int(rule.options.get("decimals", arg.get("decimals", 2)))
    rng = ctx.rng(rule.column)
    if rule.distribution == "normal":
        mean = rule.mean if rule.mean is not None else (lo + hi) / 2
        sd = rule.sd if rule.sd is not None else (hi - lo) / 6
        vals = np.clip(rng.normal(mean, sd, n), lo, hi)
    elif rule.distribution == "zipf":
        vals = lo + (hi - lo) * (rng.pareto(rule.s, n) / 10.0).clip(0, 1)
    else:
        vals = rng.uniform(lo, hi, n)
    return Col(FLOAT, np.round(vals, decimals))


def _gen_bool(rule: Rule, ctx: Context, n: int) -> Col:
    if rule.unique and n > 2:
        raise SeedError(f"{rule.where}: unique is impossible: 2 values for {n} rows")
    p = float(rule.arg) if not isinstance(rule.arg, bool) else 0.5
    return Col(BOOL, ctx.rng(rule.column).random(n) < p)


def _gen_choice(rule: Rule, ctx: Context, n: int) -> Col:
    values, weights = rule.arg
    if rule.unique and n > len(values):
        raise SeedError(f"{rule.where}: unique is impossible: {len(values)} choices for {n} rows")
    rng = ctx.rng(rule.column)
    if rule.unique:
        idx = rng.permutation(len(values))[:n]
    else:
        idx = sample_weighted(rng, np.asarray(weights, dtype=np.float64), n)
    if all(isinstance(v, bool) for v in values):
        return Col(BOOL, np.asarray(values, dtype=bool)[idx])
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return Col(INT, np.asarray(values, dtype=np.int64)[idx])
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return Col(FLOAT, np.asarray(values, dtype=np.float64)[idx])
    return pooled(TEXT, np.asarray([str(v) for v in values], dtype=object), idx)



def _time_bounds(rule: Rule) -> tuple[float, float]:
    arg = rule.arg or {}
    start = parse_instant(rule.where, arg.get("start"), DEFAULT_START).timestamp()
    end = parse_instant(rule.where, arg.get("end"), DEFAULT_END).timestamp()
    if end <= start:
        raise SeedError(f"{rule.where}: end must be after start")
    return start, end


def _instants(rule: Rule, ctx: Context, n: int) -> np.ndarray:
    """Epoch seconds between start and end; `shape: recent` puts more rows near the end.

    `ranges: [[start, end), ...]` (partition bounds) replaces start and end: a range is drawn
    in proportion to its width, then an instant inside it; `ordered: true` sorts the instants,
    so an append-only table's physical order follows its time column.
    """
    rng = ctx.rng(rule.column)
    ranges = rule.options.get("ranges")
    ordered = bool(rule.options.get("ordered"))
    # ordered in chunks: each chunk draws from its own slice of [0, 1), so the slices line up
    u = _stratified(rng, n, ctx) if ordered else rng.random(n)
    if ranges:
        spans = [
            (parse_instant(rule.where, a, DEFAULT_START).timestamp(), parse_instant(rule.where, b, DEFAULT_END).timestamp())
            for a, b in ranges
        ]
        secs = _in_ranges(rng, spans, n, integer=False, u=u if ordered else None)
    else:
        start, end = _time_bounds(rule)
        if rule.options.get("shape") == "recent":
            u = np.sqrt(u)
        secs = start + u * (end - start)
    if rule.options.get("time_of_day") == "business":
        day = np.floor(secs / 86400) * 86400
        hours = np.clip(rng.normal(13.0, 2.5, n), 7.0, 20.0)
        secs = day + hours * 3600
    return secs


def _stratified(rng: np.random.Generator, n: int, ctx: Context) -> np.ndarray:
    """Sorted uniforms in this chunk's share of [0, 1) (all of it when not chunked)."""
    lo = ctx.first_row / max(ctx.total_rows, 1)
    hi = (ctx.first_row + n) / max(ctx.total_rows, 1)
    return np.asarray(lo + np.sort(rng.random(n)) * (hi - lo))


def _in_ranges(
    rng: np.random.Generator, spans: list[tuple[float, float]], n: int, *, integer: bool, u: np.ndarray | None = None
) -> np.ndarray:
    """Values in half-open ranges [a, b), each range drawn in proportion to its width; with `u`
    (uniforms), the ranges laid end to end are walked in order, so sorted `u` give sorted values."""
    spans = [(a, b) for a, b in spans if b > a]
    if not spans:
        raise SeedError("no non-empty range to generate in")
    if u is not None:
        spans.sort()
        widths = np.asarray([b - a for a, b in spans], dtype=np.float64)
        edges = np.r_[0.0, np.cumsum(widths)]
        x = u * edges[-1]
        which = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(spans) - 1)
        lows = np.asarray([a for a, _ in spans])[which]
        inside = np.minimum(x - edges[which], np.maximum(widths[which] - 1e-6, 0))
        return np.asarray(np.floor(lows + inside) if integer else lows + inside)
    widths = np.asarray([b - a for a, b in spans], dtype=np.float64)
    which = sample_weighted(rng, widths, n)
    lows = np.asarray([a for a, _ in spans])[which]
    if integer:
        return np.asarray(lows + np.floor(rng.random(n) * widths[which]))
    # stay a microsecond inside the upper bound, which belongs to the next partition
    return np.asarray(lows + rng.random(n) * np.maximum(widths[which] - 1e-6, 0))


def _gen_timestamp(rule: Rule, ctx: Context, n: int) -> Col:
    micros = (_instants(rule, ctx, n) * 1e6).astype(np.int64)
    if rule.unique:
        micros = _spread_duplicates(micros)
    return Col(TIMESTAMP, micros.astype("datetime64[us]"))


def _gen_date(rule: Rule, ctx: Context, n: int) -> Col:
    if rule.unique:
        start, end = _time_bounds(rule)
        first, days = int(start // 86400), int(end // 86400) - int(start // 86400) + 1
        if days < n:
            raise SeedError(f"{rule.where}: unique is impossible: {days} days between start and end for {n} rows")
        picked = first + ctx.rng(rule.column).choice(days, size=n, replace=False)
        return Col(DATE, picked.astype("datetime64[D]"))
    return Col(DATE, (_instants(rule, ctx, n) // 86400).astype("datetime64[D]"))


def _spread_duplicates(values: np.ndarray) -> np.ndarray:
    """Integers made distinct by moving each repeat just past the previous value (order kept)."""
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    ranked = np.maximum.accumulate(ranked - np.arange(len(ranked))) + np.arange(len(ranked))
    out = np.empty_like(values)
    out[order] = ranked
    return out


def _gen_uuid(rule: Rule, ctx: Context, n: int) -> Col:
    raw = ctx.rng(rule.column).integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexes = [bytes(r).hex() for r in raw]
    return Col(TEXT, np.asarray([f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" for h in hexes], dtype=object))


def faker_pool(rule: Rule, ctx: Context, provider: str, size: int) -> list[str]:
    """`size` values of a Faker provider (with the rule's args), deterministic for the seed."""
    locale = str(rule.options.get("locale", "en_US"))
    fake = ctx.faker(locale, rule.column)
    method = getattr(fake, provider, None)
    if method is None or not callable(method) or provider.startswith("_"):
        names = [m for m in dir(fake) if not m.startswith("_")]
        close = difflib.get_close_matches(provider, names, n=3)
        hint = f" (closest: {', '.join(close)})" if close else ""
        raise SeedError(f"{rule.where}: unknown Faker provider '{provider}'{hint}")
    args = rule.options.get("args") or {}
    try:
        return [str(method(**args)) for _ in range(size)]
    except TypeError as e:
        raise SeedError(f"{rule.where}: Faker provider '{provider}' rejects args {args}: {e}") from None


def _gen_faker(rule: Rule, ctx: Context, n: int) -> Col:
    """Faker values: a pool of at most MAX_POOL provider calls, rows sampled from it.

    `distinct` beyond what the provider gives is reached exactly: names combine first and
    last names, other values get a numeric suffix (before the '@' of an e-mail address).
    `unique` is the same with one distinct value per row; Faker's unique proxy (which
    retries until it finds a new value) is never used.
    """
    wanted = n if rule.unique else min(ctx.pool_rows(n), ctx.distinct(rule) or MAX_POOL)
    pool = ctx.cached(("faker", rule.column, wanted), lambda: _faker_values(rule, ctx, wanted))
    if rule.unique:
        return pooled(TEXT, pool, ctx.rng(rule.column, "pick").permutation(n))
    return _sample_pool(rule, ctx, pool, n)


def _faker_values(rule: Rule, ctx: Context, wanted: int) -> np.ndarray:
    provider = str(rule.arg)
    if provider == "name" and wanted > MAX_POOL:
        return _name_pool(rule, ctx, wanted)
    base = list(dict.fromkeys(faker_pool(rule, ctx, provider, max(1, min(wanted, MAX_POOL)))))
    pool = np.asarray(base, dtype=object)
    if rule.distinct is not None or rule.unique:
        pool = distinct_pool(pool, wanted)
    return pool


def _name_pool(rule: Rule, ctx: Context, wanted: int) -> np.ndarray:
    first = np.asarray(list(dict.fromkeys(faker_pool(rule, ctx, "first_name", 1000))), dtype=object)
    last = np.asarray(list(dict.fromkeys(faker_pool(rule, ctx, "last_name", 1000))), dtype=object)
    combos = len(first) * len(last)
    codes = ctx.pool_rng(rule.column, "names").choice(combos, size=min(wanted, combos), replace=False)
    pool = np.char.add(np.char.add(first[codes % len(first)].astype(str), " "), last[codes // len(first)].astype(str))
    return distinct_pool(pool.astype(object), wanted)


def distinct_pool(base: np.ndarray, wanted: int) -> np.ndarray:
    """Exactly `wanted` distinct strings: the base values, then suffixed variants of them."""
    if len(base) >= wanted:
        return base[:wanted]
    repeated = base[np.arange(wanted) % len(base)]
    return make_unique(repeated)


def _sample_pool(rule: Rule, ctx: Context, pool: np.ndarray, n: int) -> Col:
    """Rows drawn from a pool; uniform draws use every pool value, so `distinct` is reached exactly."""
    rng = ctx.rng(rule.column, "pick")
    if rule.distribution == "uniform":
        codes = (ctx.first_row + rng.permutation(n)) % len(pool)
    else:
        codes = _indices(rule, rng, len(pool), n, ctx, "pick")
    return pooled(TEXT, pool, codes)


def make_unique(values: np.ndarray) -> np.ndarray:
    """Make repeated strings distinct with a counter suffix (before '@' in e-mail addresses)."""
    out = values
    for _ in range(5):  # a suffixed value may collide with a value that already had that form
        codes, uniq = pd.factorize(out)
        if len(uniq) == len(out):
            return out
        occurrence = pd.Series(codes).groupby(codes).cumcount().to_numpy()
        out = out.copy()
        for i in np.flatnonzero(occurrence):
            v = str(out[i])
            k = occurrence[i] + 1
            at = v.find("@")
            out[i] = f"{v[:at]}{k}{v[at:]}" if at > 0 else f"{v}-{k}"
    raise SeedError("cannot make values unique")


def _gen_text(rule: Rule, ctx: Context, n: int) -> Col:
    """Sentences of real words (tsvector-friendly): `text: sentence|title|paragraph|word`."""
    style = str(rule.arg or "sentence")
    if style not in ("sentence", "title", "paragraph", "word"):
        raise SeedError(f"{rule.where}: text takes sentence, title, paragraph or word, not '{style}'")
    words_opt = rule.options.get("words")
    default_words = {"word": (1, 1), "title": (3, 7), "sentence": (6, 14), "paragraph": (25, 60)}[style]
    lo, hi = (words_opt if isinstance(words_opt, list) and len(words_opt) == 2 else default_words)
    vocab_arr = np.asarray(vocabulary(str(rule.options.get("locale", "en_US"))), dtype=object)
    distinct = n if rule.unique else min(ctx.pool_rows(n), ctx.distinct(rule) or 200_000)
    if style == "word" and not rule.unique:
        distinct = min(distinct, len(vocab_arr))
    pool = ctx.cached(
        ("text", rule.column, distinct),
        lambda: _sentence_pool(ctx.pool_rng(rule.column, "text"), vocab_arr, style, int(lo), int(hi), distinct),
    )
    if rule.unique:
        return pooled(TEXT, pool, ctx.rng(rule.column, "pick").permutation(n))
    return _sample_pool(rule, ctx, pool, n)


def _sentence_pool(rng: np.random.Generator, vocab: np.ndarray, style: str, lo: int, hi: int, distinct: int) -> np.ndarray:
    """Exactly `distinct` different sentences of lo..hi words, with zipf word frequencies as in real text.

    Sentences are drawn as sequences of word numbers and told apart by a 64-bit key of the
    sequence, so only the ones kept are ever joined into strings. Equal sentences always have
    equal keys (a word's forms are numbered by their text); two different sentences with one
    key (about one chance in 10^9 for a million) only cost a sentence, never a repeat.
    """
    forms = _word_forms(tuple(vocab.tolist()))
    kept_words: list[np.ndarray] = []
    kept_lengths: list[np.ndarray] = []
    keys = np.empty(0, dtype=np.uint64)
    want = distinct + distinct // 30 + 16  # short sentences collide: a few percent more
    for _ in range(6):
        words, lengths = _sentence_words(rng, forms, len(vocab), style, lo, hi, want)
        new_keys = _sequence_keys(words, lengths)
        fresh = ~pd.Series(np.concatenate([keys, new_keys])).duplicated().to_numpy()[len(keys):]
        starts = np.r_[0, np.cumsum(lengths)[:-1]]
        chosen = np.flatnonzero(fresh)[: distinct - len(keys)]
        kept_lengths.append(lengths[chosen])
        kept_words.append(words[_ranges(starts[chosen], lengths[chosen])])
        keys = np.concatenate([keys, new_keys[chosen]])
        if len(keys) >= distinct:
            break
        want = 2 * (distinct - len(keys)) + 16
    lengths = np.concatenate(kept_lengths)
    offsets = pa.array(np.r_[0, np.cumsum(lengths)].astype(np.int32))
    texts = forms.texts.take(pa.array(np.concatenate(kept_words)))
    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, texts), " ")
    return distinct_pool(np.asarray(joined.to_numpy(zero_copy_only=False), dtype=object), distinct)


def _sentence_words(
    rng: np.random.Generator, forms: _WordForms, vocab_size: int, style: str, lo: int, hi: int, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Word numbers (into `forms.texts`) of `count` sentences, and each sentence's length."""
    lengths = rng.integers(lo, hi + 1, count)
    ends = np.cumsum(lengths)
    idx = rng.permutation(vocab_size)[zipf_ranks(rng, vocab_size, 1.0, int(ends[-1]) if count else 0)]
    # Every sentence ends on a content word, so its tsvector is never empty (stop words only).
    if len(forms.content) and count:
        idx[ends - 1] = forms.content[rng.integers(0, len(forms.content), count)]
    # the capitalized first word and the full stop are forms of the word: one join, no string edits
    if style in ("sentence", "paragraph"):
        idx[ends - 1] += 2 * vocab_size
    if style != "word":
        idx[ends - lengths] += vocab_size
    return forms.canonical[idx], lengths


def _sequence_keys(words: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """A 64-bit polynomial key of each sentence's word numbers (arithmetic modulo 2^64)."""
    if not len(lengths):
        return np.empty(0, dtype=np.uint64)
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    position = np.arange(len(words)) - np.repeat(starts, lengths)
    powers = np.cumprod(np.full(int(lengths.max()), 0x9E3779B97F4A7C15, dtype=np.uint64))
    with np.errstate(over="ignore"):
        terms = (words.astype(np.uint64) + np.uint64(1)) * powers[position]
        return np.add.reduceat(terms, starts) + lengths.astype(np.uint64)


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The indices start..start+length-1 of every (start, length), concatenated."""
    total = int(lengths.sum())
    if not total:
        return np.empty(0, dtype=np.int64)
    first = np.r_[0, np.cumsum(lengths)[:-1]]
    return np.repeat(starts - first, lengths) + np.arange(total)


_LONG_STOP_WORDS = frozenset(
    ["against", "because", "before", "between", "during", "further", "having", "herself", "himself", "itself", "myself", "ourselves", "should", "themselves", "through", "theirs", "yourself", "yourselves"]
)


@dataclass(frozen=True)
class _WordForms:
    texts: pa.Array  # word, Word, word., Word. (each block as long as the vocabulary)
    canonical: np.ndarray  # form number -> the first form number with the same text
    content: np.ndarray  # indices of the words that are not stop words


@functools.lru_cache(maxsize=8)
def _word_forms(vocab: tuple[str, ...]) -> _WordForms:
    capitalized = [w[:1].upper() + w[1:] for w in vocab]
    forms = list(vocab) + capitalized + [w + "." for w in vocab] + [w + "." for w in capitalized]
    codes, texts = pd.factorize(np.asarray(forms, dtype=object))  # scripts without case: Word == word
    first = np.zeros(len(texts), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(forms))[::-1]
    content = np.flatnonzero([len(w) >= 6 and w not in _LONG_STOP_WORDS for w in vocab])
    return _WordForms(pa.array(forms, type=pa.string()), first[codes], content)


_VOCABULARIES: dict[str, list[str]] = {}


def vocabulary(locale: str) -> list[str]:
    """The words of Faker's lorem provider for a locale: real words, so tsvector finds them."""
    if locale not in _VOCABULARIES:
        fake = Faker(locale)
        words = getattr(fake, "get_words_list", None)
        found = words() if callable(words) else fake.words(nb=2000)
        _VOCABULARIES[locale] = sorted({w.lower() for w in found if w.isalpha()})
    return _VOCABULARIES[locale]


def _gen_json(rule: Rule, ctx: Context, n: int) -> Col:
    """JSON objects from a template of typed fields, assembled column-wise in Arrow."""
    pieces: list[Any] = ["{"]
    for i, (key, sub) in enumerate(rule.arg.items()):
        pieces += [("" if i == 0 else ", ") + json.dumps(key) + ": ", _json_field(generate(sub, ctx, n))]
    pieces.append("}")
    rows = pc.binary_join_element_wise(*pieces, "")
    return Col(JSON, rows.to_numpy(zero_copy_only=False))


def _json_field(col: Col) -> pa.Array:
    """Each value JSON-encoded (distinct values encoded once), `null` for NULLs."""
    if col.kind == JSON:
        texts = pa.array(col.values, type=pa.string())
    elif col.kind in (TIMESTAMP, DATE):
        unit = "s" if col.kind == TIMESTAMP else "D"
        iso = np.datetime_as_string(np.asarray(col.values, dtype="datetime64[us]"), unit=unit)  # type: ignore[call-overload]
        texts = pc.binary_join_element_wise('"', pa.array(iso, type=pa.string()), '"', "")
    else:
        if col.codes is not None and col.pool is not None:
            codes, uniq = col.codes, col.pool
        else:
            codes, uniq = pd.factorize(col.values)
        texts = pa.array([_json_scalar(col.kind, v) for v in uniq], type=pa.string()).take(pa.array(codes))
    if col.nulls is not None and col.nulls.any():
        texts = pc.if_else(pa.array(col.nulls), "null", texts)
    return texts


def _json_scalar(kind: str, v: Any) -> str:
    if kind == BOOL:
        return "true" if v else "false"
    if kind == INT:
        return str(int(v))
    if kind == FLOAT:
        return repr(float(v))
    return json.dumps(str(v))


def _gen_array(rule: Rule, ctx: Context, n: int) -> Col:
    length = rule.options.get("length", [0, 3])
    lo, hi = int(length[0]), int(length[1])
    rng = ctx.rng(rule.column, "length")
    lengths = rng.integers(lo, hi + 1, n)
    inner = generate(rule.arg, ctx, int(lengths.sum()))
    texts = _array_elements(inner)
    offsets = pa.array(np.r_[0, np.cumsum(lengths)].astype(np.int32))
    lists = pa.ListArray.from_arrays(offsets, pa.array(texts, type=pa.string()))
    rows = pc.binary_join_element_wise("{", pc.binary_join(lists, ","), "}", "")
    return Col(TEXT, rows.to_numpy(zero_copy_only=False))


def _array_elements(col: Col) -> np.ndarray:
    """Values as elements of a PostgreSQL array literal: quoted, NULL for nulls."""
    texts = to_arrow(col).cast(pa.string()).to_numpy(zero_copy_only=False)
    quoted = np.asarray(['"' + str(t).replace("\\", "\\\\").replace('"', '\\"') + '"' for t in texts], dtype=object)
    return np.where(col.null_mask(), "NULL", quoted)


def _gen_ref(rule: Rule, ctx: Context, n: int) -> Col:
    table, column = str(rule.arg).rsplit(".", 1)
    if table == ctx.table:
        return _gen_self_ref(rule, ctx, n, column)
    parent = ctx.done.get(table)
    if parent is None or column not in parent.cols:
        raise SeedError(f"{rule.where}: references {table}.{column}, which is not seeded before {ctx.table}")
    pcol = parent.cols[column]
    rng = ctx.rng(rule.column)
    if rule.unique:
        if parent.n < n:
            raise SeedError(f"{rule.where}: unique is impossible: {parent.n} rows in {table} for {n} rows")
        rows = rng.choice(parent.n, size=n, replace=False)
    elif rule.options.get("match_top"):
        rows = _matched_parent_rows(rule, ctx, parent, rng, n)
    else:
        rows = _indices(rule, rng, parent.n, n, ctx)
    picked = pcol.take(rows)
    picked.parent_rows = rows
    return picked


def _matched_parent_rows(rule: Rule, ctx: Context, parent: TableData, rng: np.random.Generator, n: int) -> np.ndarray:
    """Parent rows whose `match_top` columns take the listed shares of this table's rows (ref_match.py).
    The weights are the same for every chunk of the table: fitted once, kept with the parent."""
    from analyzer.seeding.ref_match import draw_rows

    key = (ctx.table, rule.column)
    weights = parent.fitted.get(key)
    if weights is None:
        weights = parent.fitted[key] = _match_top_weights(rule, ctx, parent)
    return draw_rows(rng, weights, n)


def _match_top_weights(rule: Rule, ctx: Context, parent: TableData) -> np.ndarray:
    from analyzer.seeding.ref_match import Shares, fitted_weights

    if parent.n <= 0:
        raise SeedError(f"{rule.where}: nothing to choose from")
    natural = np.ones(parent.n, dtype=np.float64)
    if rule.distribution == "zipf":  # the same popular parents as without match_top (_indices)
        perm = ctx.pool_rng(rule.column).permutation(parent.n)
        natural[perm] = np.arange(1, parent.n + 1, dtype=np.float64) ** (-rule.s)
    nonnull = max(1e-9, 1.0 - rule.null_fraction)  # the shares are of all rows; NULL keys are drawn apart
    constraints = []
    for column, shares in dict(rule.options["match_top"]).items():
        col = parent.cols.get(str(column))
        if col is None:
            raise SeedError(f"{rule.where}: match_top names {parent.name}.{column}, which has no generated values")
        if col.pool is not None and col.codes is not None:  # pooled: group the pool once
            codes = pd.factorize(col.pool)[0][col.codes]
        else:
            codes = pd.factorize(np.asarray(col.values))[0]
        codes = np.where(col.null_mask(), -1, codes)
        constraints.append(Shares(codes, [float(f) / nonnull for f in shares]))
    # the popular parents keep their own shares (the foreign key's fitted skew) while the groups move
    head = np.sort(natural)[::-1][:KEPT_PARENT_SHARES] / natural.sum()
    constraints.insert(0, Shares(np.arange(parent.n), head.tolist()))
    return fitted_weights(natural, constraints)


def _gen_self_ref(rule: Rule, ctx: Context, n: int, column: str) -> Col:
    """Parent rows of the same table, one level deep: parents are rows without a parent.

    With `within: col`, a child's parent shares its value of `col` (a subtask is in its
    parent's project). Rows whose group has no possible parent get NULL.
    """
    own = ctx.cols.get(column)
    if own is None:
        raise SeedError(f"{rule.where}: generate {ctx.table}.{column} before this self-reference")
    if ctx.chunk is not None:
        return _gen_self_ref_chunk(rule, ctx, n, own)
    rng = ctx.rng(rule.column)
    required = rule.null_fraction == 0  # NOT NULL: the roots point at themselves
    is_child = ~exact_fraction(rng, n, 0.1 if required else rule.null_fraction)
    parent_rows = np.full(n, -1, dtype=np.int64)
    parents = np.flatnonzero(~is_child)
    children = np.flatnonzero(is_child)
    within = rule.options.get("within")
    if within:
        group = ctx.cols[str(within)].values
        order = parents[np.argsort(group[parents], kind="stable")]
        sorted_groups = group[order]
        left = np.searchsorted(sorted_groups, group[children], side="left")
        right = np.searchsorted(sorted_groups, group[children], side="right")
        has = right > left
        pick = left + np.floor(rng.random(len(children)) * np.maximum(right - left, 1)).astype(np.int64)
        parent_rows[children[has]] = order[pick[has]]
    elif len(parents):
        parent_rows[children] = parents[rng.integers(0, len(parents), len(children))]
    if required:
        roots = parent_rows < 0
        parent_rows[roots] = np.flatnonzero(roots)
    nulls = parent_rows < 0
    values = own.values[np.maximum(parent_rows, 0)]
    return Col(own.kind, values, nulls=nulls if nulls.any() else None, parent_rows=parent_rows)


RECENT_ROOTS = 8  # roots per group a child in a chunked table may attach to: the latest ones
RECENT_ROOTS_UNGROUPED = 50_000  # the same without `within`: one group, the latest roots of the table


@dataclass
class _Roots:
    """The latest roots of each group of a self-reference, carried from chunk to chunk (a ring of
    `size` values per group): memory bounded by the groups, never by the rows."""

    size: int
    groups: pd.Index
    values: np.ndarray  # (groups, size) key values of roots
    filled: np.ndarray  # how many slots of each group hold a root
    written: np.ndarray  # roots written per group so far (the ring's next slot, modulo)

    def indices(self, group_values: np.ndarray, dtype: np.dtype[Any]) -> np.ndarray:
        """Each value's group number; groups not seen before are added."""
        codes = self.groups.get_indexer(group_values)
        if (codes < 0).any():
            self.groups = self.groups.append(pd.Index(pd.unique(group_values[codes < 0])))
            grow = len(self.groups) - len(self.filled)
            self.values = np.concatenate([self.values, np.empty((grow, self.size), dtype=dtype)])
            self.filled = np.concatenate([self.filled, np.zeros(grow, dtype=np.int64)])
            self.written = np.concatenate([self.written, np.zeros(grow, dtype=np.int64)])
            codes = self.groups.get_indexer(group_values)
        return np.asarray(codes)

    def add(self, groups: np.ndarray, keys: np.ndarray) -> None:
        """Remember roots (in row order); a group keeps its last self.size."""
        # stable sort: radix on 16 bits when the groups fit (several times timsort's speed)
        order = np.argsort(groups.astype(np.uint16) if len(self.filled) <= 1 << 16 else groups, kind="stable")
        g, k = groups[order], keys[order]
        counts = np.bincount(g, minlength=len(self.filled))
        rank = np.arange(len(g)) - np.searchsorted(g, g, side="left")
        last = rank >= counts[g] - self.size
        slot = (self.written[g] + rank) % self.size
        self.values[g[last], slot[last]] = k[last]
        self.written += counts
        self.filled = np.minimum(self.filled + counts, self.size)

    def pick(self, rng: np.random.Generator, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A random recent root of each row's group, and which rows have one."""
        filled = self.filled[groups]
        back = np.floor(rng.random(len(groups)) * np.maximum(filled, 1)).astype(np.int64)
        slot = (self.written[groups] - 1 - back) % self.size
        return self.values[groups, slot], filled > 0


def _gen_self_ref_chunk(rule: Rule, ctx: Context, n: int, own: Col) -> Col:
    """A self-reference generated a chunk at a time: a child's parent is one of the latest roots of
    its group, from this chunk or an earlier one (subtasks come soon after their task)."""
    rng = ctx.rng(rule.column)
    required = rule.null_fraction == 0
    is_child = ~exact_count(rng, n, ctx.null_count(n, 0.1 if required else rule.null_fraction))
    keys = np.asarray(own.values)
    within = rule.options.get("within")
    group_values = np.asarray(ctx.cols[str(within)].values) if within else np.zeros(n, dtype=np.int64)
    roots = ctx.shared.get(("self_ref", rule.column))
    if roots is None:
        size = RECENT_ROOTS if within else RECENT_ROOTS_UNGROUPED
        roots = ctx.shared[("self_ref", rule.column)] = _Roots(
            size, pd.Index(group_values[:0]), np.empty((0, size), dtype=keys.dtype),
            np.zeros(0, np.int64), np.zeros(0, np.int64),
        )
    groups = roots.indices(group_values, keys.dtype)
    roots.add(groups[~is_child], keys[~is_child])
    children = np.flatnonzero(is_child)
    picked, has = roots.pick(rng, groups[children])
    values = keys.copy()  # roots of a NOT NULL self-reference point at themselves
    values[children[has]] = picked[has]
    nulls = None
    if not required:
        nulls = np.ones(n, dtype=bool)
        nulls[children[has]] = False
    return Col(own.kind, values, nulls=nulls)


def _resolve(rule: Rule, ctx: Context, ref: str) -> tuple[Col, np.ndarray | None]:
    """`col` of this table, or `fkcol.parentcol`: the parent's value for each row."""
    if "." not in ref:
        col = ctx.cols.get(ref)
        if col is None:
            raise SeedError(f"{rule.where}: depends on {ref}, which has no values")
        return col, None
    fk_col, parent_col = ref.split(".", 1)
    fk = ctx.cols.get(fk_col)
    if fk is None or fk.parent_rows is None:
        raise SeedError(f"{rule.where}: '{fk_col}' is not a ref column of {ctx.table}")
    parent_table = _parent_table_of(ctx, fk_col)
    pcol = parent_table.cols.get(parent_col)
    if pcol is None:
        raise SeedError(f"{rule.where}: {parent_table.name}.{parent_col} has no generated values")
    picked = pcol.take(np.maximum(fk.parent_rows, 0))
    picked.nulls = (fk.parent_rows < 0) | picked.null_mask()
    picked.parent_rows = None
    return picked, fk.parent_rows


def _parent_table_of(ctx: Context, fk_col: str) -> TableData:
    target = ctx.column_types.get(f"ref:{fk_col}")
    if target is None:
        raise SeedError(f"tables.{ctx.table}.columns.{fk_col}: not a reference")
    if target == ctx.table:
        return TableData(ctx.table, ctx.n, ctx.cols)
    return ctx.done[target]


def _gen_copy(rule: Rule, ctx: Context, n: int) -> Col:
    col, _ = _resolve(rule, ctx, str(rule.arg))
    if col.nulls is not None and not col.nulls.any():
        col.nulls = None
    return col


def _gen_after(rule: Rule, ctx: Context, n: int) -> Col:
    """A timestamp after another (this row's or its parent's), optionally only `when` a condition holds."""
    base, _ = _resolve(rule, ctx, str(rule.arg))
    if base.kind not in (TIMESTAMP, DATE):
        raise SeedError(f"{rule.where}: after needs a date or timestamp column, {rule.arg} is {base.kind}")
    lo = parse_duration(rule.where, rule.options.get("min", "1m"))
    hi = parse_duration(rule.where, rule.options.get("max", "30d"))
    rng = ctx.rng(rule.column)
    offsets = lo + rng.exponential((hi - lo) / 3, n).clip(0, hi - lo)
    base_us = base.values.astype("datetime64[us]").astype(np.int64)
    values = (base_us + (offsets * 1e6).astype(np.int64)).astype("datetime64[us]")
    nulls = base.null_mask().copy()
    when = rule.options.get("when")
    if isinstance(when, Mapping):
        for col_name, wanted in when.items():
            other = ctx.cols.get(str(col_name))
            if other is None:
                raise SeedError(f"{rule.where}: when names {col_name}, which has no values")
            nulls |= ~other.matches(wanted if isinstance(wanted, list) else [wanted])
    if rule.null_fraction > 0:
        nulls |= exact_fraction(rng, n, rule.null_fraction)
    kind = DATE if ctx.column_types.get(rule.column) == "date" else TIMESTAMP
    if kind == DATE:
        values = values.astype("datetime64[D]")
    return Col(kind, values, nulls=nulls)


def _gen_vector(rule: Rule, ctx: Context, n: int) -> Col:
    """pgvector values: unit vectors of `vector: dims` dimensions, as '[x,y,...]' text."""
    dims = int(rule.arg)
    rng = ctx.rng(rule.column)
    v = rng.normal(0, 1, (n, dims))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    text = np.asarray(["[" + ",".join(f"{x:.4f}" for x in row) + "]" for row in v], dtype=object)
    return Col(TEXT, text)


def _gen_default(rule: Rule, ctx: Context, n: int) -> Col:
    raise SeedError(f"{rule.where}: a 'default' column is left to the database and is not generated")


def _gen_histogram(rule: Rule, ctx: Context, n: int) -> Col:
    from analyzer.seeding.histogram import gen_histogram  # its own module (it imports this one)

    return gen_histogram(rule, ctx, n)


def _gen_range(rule: Rule, ctx: Context, n: int) -> Col:
    from analyzer.seeding.ranges import gen_range  # its own module (it imports this one)

    return gen_range(rule, ctx, n)


_GENERATORS: dict[str, Callable[[Rule, Context, int], Col]] = {
    "value": _gen_value, "sequence": _gen_sequence, "int": _gen_int, "numeric": _gen_numeric,
    "bool": _gen_bool, "choice": _gen_choice, "timestamp": _gen_timestamp, "date": _gen_date,
    "uuid": _gen_uuid, "faker": _gen_faker, "text": _gen_text, "json": _gen_json, "array": _gen_array,
    "ref": _gen_ref, "copy": _gen_copy, "after": _gen_after, "default": _gen_default, "vector": _gen_vector,
    "histogram": _gen_histogram, "range": _gen_range,
}


def to_arrow(col: Col) -> pa.Array:
    """The column as an Arrow array (NULLs as nulls), ready for the CSV writer that feeds COPY."""
    mask = col.nulls if col.nulls is not None and col.nulls.any() else None
    if col.kind in (TEXT, JSON):
        return pa.array(col.values, type=pa.string(), mask=mask, from_pandas=False)
    if col.kind == TIMESTAMP:
        return pa.array(col.values.astype("datetime64[us]"), type=pa.timestamp("us"), mask=mask)
    if col.kind == DATE:
        return pa.array(col.values.astype("datetime64[D]"), type=pa.date32(), mask=mask)
    return pa.array(col.values, mask=mask)
