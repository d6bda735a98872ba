"""Vectorized column generators: numpy arrays of values, sampled from pools, never row by row.

Faker is slow (tens of microseconds a call), so it only fills small pools; the rows are
numpy samples from those pools. Text columns reach the distinct count a rule asks for by
combining pools. Skew comes from zipf or normal distributions over references and numbers.
"""

from __future__ import annotations

import difflib
import json
import math
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from faker import Faker

from analyzer.errors import SeedError
from analyzer.seeding.rules import Rule, parse_duration, parse_instant

# Value kinds decide how a column is written in COPY text format.
INT, FLOAT, TEXT, TIMESTAMP, DATE, BOOL = "int", "float", "text", "timestamp", "date", "bool"

DEFAULT_START = datetime(2023, 1, 1, tzinfo=timezone.utc)
DEFAULT_END = datetime(2026, 11, 1, tzinfo=timezone.utc)
MAX_POOL = 5_000


@dataclass
class Col:
    """A generated column: values, an optional NULL mask, and for references the parent row index."""

    kind: str
    values: np.ndarray
    nulls: np.ndarray | None = None
    parent_rows: np.ndarray | None = None  # for ref columns: row index into the parent table

    def null_mask(self) -> np.ndarray:
        return self.nulls if self.nulls is not None else np.zeros(len(self.values), dtype=bool)


@dataclass
class TableData:
    """What has been generated for a table, kept while other tables may refer to it."""

    name: str
    n: int
    cols: dict[str, Col]


class Context:
    """Everything a generator may look at: the seed, the row count, this table so far, other tables."""

    def __init__(self, seed: int, table: str, n: int, done: Mapping[str, TableData], column_types: Mapping[str, str]):
        self.seed = seed
        self.table = table
        self.n = n
        self.done = done
        self.cols: dict[str, Col] = {}
        self.column_types = column_types
        self._fakers: dict[str, Faker] = {}

    def rng(self, column: str, salt: str = "") -> np.random.Generator:
        return np.random.default_rng([self.seed, _crc(self.table), _crc(column), _crc(salt)])

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
    self_ref = rule.kind == "ref" and str(rule.arg).split(".", 1)[0] == ctx.table
    handles_own_nulls = rule.kind == "after" or self_ref
    if rule.null_fraction > 0 and not handles_own_nulls:
        mask = ctx.rng(rule.column, "nulls").random(n) < rule.null_fraction
        col.nulls = mask if col.nulls is None else (col.nulls | mask)
    return col


def _indices(rule: Rule, rng: np.random.Generator, size: int, n: int) -> np.ndarray:
    """Indices 0..size-1 drawn by the rule's distribution; zipf ranks are shuffled over the pool."""
    if size <= 0:
        raise SeedError(f"{rule.where}: nothing to choose from")
    if rule.distribution == "uniform":
        return rng.integers(0, size, n)
    if rule.distribution == "zipf":
        ranks = np.arange(1, size + 1, dtype=np.float64)
        weights = ranks ** (-rule.s)
        cdf = np.cumsum(weights)
        cdf /= cdf[-1]
        picked = np.searchsorted(cdf, rng.random(n), side="right")
        perm = rng.permutation(size)
        return perm[np.minimum(picked, size - 1)]
    mean = rule.mean if rule.mean is not None else size / 2
    sd = rule.sd if rule.sd is not None else size / 6
    return np.clip(np.rint(rng.normal(mean, sd, n)), 0, size - 1).astype(np.int64)


def _gen_value(rule: Rule, ctx: Context, n: int) -> Col:
    v = rule.arg
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
    return Col(INT, start + step * np.arange(n, dtype=np.int64))


def _gen_int(rule: Rule, ctx: Context, n: int) -> Col:
    arg = rule.arg or {}
    lo, hi = int(arg.get("min", 0)), int(arg.get("max", 1000))
    if hi < lo:
        raise SeedError(f"{rule.where}: max {hi} is below min {lo}")
    rng = ctx.rng(rule.column)
    if rule.unique:
        if hi - lo + 1 < n:
            raise SeedError(f"{rule.where}: unique is impossible: {hi - lo + 1} values in [{lo}, {hi}] for {n} rows")
        return Col(INT, lo + rng.choice(hi - lo + 1, size=n, replace=False).astype(np.int64))
    if rule.distribution == "uniform":
        return Col(INT, rng.integers(lo, hi + 1, n, dtype=np.int64))
    return Col(INT, lo + _indices(rule, rng, hi - lo + 1, n).astype(np.int64))


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
    p = float(rule.arg) if not isinstance(rule.arg, bool) else 0.5
    return Col(BOOL, ctx.rng(rule.column).random(n) < p)


def _gen_choice(rule: Rule, ctx: Context, n: int) -> Col:
    values, weights = rule.arg
    rng = ctx.rng(rule.column)
    idx = rng.choice(len(values), size=n, p=np.asarray(weights) / sum(weights))
    if all(isinstance(v, bool) for v in values):
        return Col(BOOL, np.asarray(values, dtype=bool)[idx])
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return Col(INT, np.asarray(values, dtype=np.int64)[idx])
    pool = np.asarray([str(v) for v in values], dtype=object)
    return Col(TEXT, pool[idx])


def _time_bounds(rule: Rule) -> tuple[float, float]:
    arg = rule.arg or {}
    start = parse_instant(rule.where, arg.get("start"), DEFAULT_START).timestamp()
    end = parse_instant(rule.where, arg.get("end"), DEFAULT_END).timestamp()
    if end <= start:
        raise SeedError(f"{rule.where}: end must be after start")
    return start, end


def _instants(rule: Rule, ctx: Context, n: int) -> np.ndarray:
    """Epoch seconds between start and end; `shape: recent` puts more rows near the end."""
    start, end = _time_bounds(rule)
    rng = ctx.rng(rule.column)
    u = rng.random(n)
    if rule.options.get("shape") == "recent":
        u = np.sqrt(u)
    secs = start + u * (end - start)
    if rule.options.get("time_of_day") == "business":
        day = np.floor(secs / 86400) * 86400
        hours = np.clip(rng.normal(13.0, 2.5, n), 7.0, 20.0)
        secs = day + hours * 3600
    return secs


def _gen_timestamp(rule: Rule, ctx: Context, n: int) -> Col:
    return Col(TIMESTAMP, (_instants(rule, ctx, n) * 1e6).astype("datetime64[us]"))


def _gen_date(rule: Rule, ctx: Context, n: int) -> Col:
    return Col(DATE, (_instants(rule, ctx, n) // 86400).astype("datetime64[D]"))


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
    wanted = min(n, rule.distinct or MAX_POOL)
    if rule.unique:
        wanted = n
    if str(rule.arg) == "name" and wanted > MAX_POOL:
        first = np.asarray([v for v in faker_pool(rule, ctx, "first_name", 1000)], dtype=object)
        last = np.asarray([v for v in faker_pool(rule, ctx, "last_name", 1000)], dtype=object)
        rng = ctx.rng(rule.column, "names")
        codes = rng.choice(len(first) * len(last), size=min(wanted, len(first) * len(last)), replace=False)
        pool = np.asarray([f"{a} {b}" for a, b in zip(first[codes % len(first)], last[codes // len(first)])], dtype=object)
        values = _sample_pool(rule, ctx, pool, n)
        return Col(TEXT, make_unique(values) if rule.unique else values)
    if wanted <= MAX_POOL:
        pool = faker_pool(rule, ctx, str(rule.arg), max(1, min(wanted, MAX_POOL)))
        values = _sample_pool(rule, ctx, np.asarray([v for v in pool], dtype=object), n)
    else:
        parts = _combined_pool(rule, ctx, faker_pool(rule, ctx, str(rule.arg), 2000), wanted)
        values = parts if rule.unique else _sample_pool(rule, ctx, parts, n)
    if rule.unique:
        values = make_unique(values)
    return Col(TEXT, values)


def _combined_pool(rule: Rule, ctx: Context, base: list[str], wanted: int) -> np.ndarray:
    """`wanted` distinct strings made by joining picks from a base pool (titles from several pools)."""
    base_arr = np.asarray([b for b in dict.fromkeys(base)], dtype=object)
    size = len(base_arr)
    k = max(2, math.ceil(math.log(max(wanted, 2)) / math.log(max(size, 2))))
    rng = ctx.rng(rule.column, "combine")
    codes = rng.choice(size**k if size**k < 2**62 else 2**62, size=wanted, replace=False)
    parts = []
    for _ in range(k):
        parts.append(base_arr[codes % size])
        codes = codes // size
    return np.asarray([" ".join(p) for p in zip(*parts)], dtype=object)


def _sample_pool(rule: Rule, ctx: Context, pool: np.ndarray, n: int) -> np.ndarray:
    """Rows drawn from a pool; uniform draws use every pool value, so `distinct` is reached exactly."""
    rng = ctx.rng(rule.column, "pick")
    if rule.distribution == "uniform":
        return pool[rng.permutation(n) % len(pool)]
    return pool[_indices(rule, rng, len(pool), n)]


def make_unique(values: np.ndarray) -> np.ndarray:
    """Make repeated strings distinct with a counter suffix (before '@' in e-mail addresses)."""
    uniq, inverse = np.unique(values.astype(str), return_inverse=True)
    if len(uniq) == len(values):
        return values
    order = np.argsort(inverse, kind="stable")
    sorted_inv = inverse[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_inv)) + 1]
    counts = np.diff(np.r_[starts, len(values)])
    occurrence = np.empty(len(values), dtype=np.int64)
    occurrence[order] = np.arange(len(values)) - np.repeat(starts, counts)
    out = values.copy()
    for i in np.flatnonzero(occurrence):
        v = str(values[i])
        k = occurrence[i] + 1
        at = v.find("@")
        out[i] = f"{v[:at]}{k}{v[at:]}" if at > 0 else f"{v}-{k}"
    return out


def _gen_text(rule: Rule, ctx: Context, n: int) -> Col:
    """Sentences of real words (tsvector-friendly): `text: sentence|title|paragraph|word`."""
    style = str(rule.arg or "sentence")
    if style not in ("sentence", "title", "paragraph", "word"):
        raise SeedError(f"{rule.where}: text takes sentence, title, paragraph or word, not '{style}'")
    words_opt = rule.options.get("words")
    default_words = {"word": (1, 1), "title": (3, 7), "sentence": (6, 14), "paragraph": (25, 60)}[style]
    lo, hi = (words_opt if isinstance(words_opt, list) and len(words_opt) == 2 else default_words)
    vocab_arr = np.asarray(vocabulary(str(rule.options.get("locale", "en_US"))), dtype=object)
    distinct = n if rule.unique else min(n, rule.distinct or 200_000)
    if style == "word":
        distinct = min(distinct, len(vocab_arr))
    rng = ctx.rng(rule.column, "text")
    pool = pd.unique(_sentences(rng, vocab_arr, style, int(lo), int(hi), distinct))
    for _ in range(5):  # short sentences collide: top up until the pool holds `distinct` values
        if len(pool) >= distinct:
            break
        extra = _sentences(rng, vocab_arr, style, int(lo), int(hi), 2 * (distinct - len(pool)) + 16)
        pool = pd.unique(np.concatenate([pool, extra]))
    pool = np.asarray(pool[:distinct], dtype=object)
    values = pool if rule.unique else _sample_pool(rule, ctx, pool, n)
    if rule.unique:
        values = make_unique(values)
    return Col(TEXT, values)


def _sentences(rng: np.random.Generator, vocab: np.ndarray, style: str, lo: int, hi: int, count: int) -> np.ndarray:
    """`count` random sentences of lo..hi words, with zipf word frequencies as in real text."""
    lengths = rng.integers(lo, hi + 1, count)
    word_rule = Rule("", "", "text", None, distribution="zipf", s=1.0)
    words = vocab[_indices(word_rule, rng, len(vocab), int(lengths.sum()))]
    offsets = pa.array(np.r_[0, np.cumsum(lengths)].astype(np.int32))
    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, pa.array(words, type=pa.string())), " ")
    if style != "word":
        joined = pc.utf8_capitalize(joined)
    if style in ("sentence", "paragraph"):
        joined = pc.binary_join_element_wise(joined, ".", "")
    return np.asarray(joined.to_numpy(zero_copy_only=False), dtype=object)


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
        encoded = _json_values(generate(sub, ctx, n))
        pieces += [("" if i == 0 else ", ") + json.dumps(key) + ": ", pa.array(encoded, type=pa.string())]
    pieces.append("}")
    rows = pc.binary_join_element_wise(*pieces, "")
    return Col(TEXT, rows.to_numpy(zero_copy_only=False))


def _json_values(col: Col) -> np.ndarray:
    """Each value JSON-encoded; distinct values are encoded once."""
    nulls = col.null_mask()
    if col.kind in (TIMESTAMP, DATE):
        unit = "s" if col.kind == TIMESTAMP else "D"
        texts = np.char.add(np.char.add('"', np.datetime_as_string(col.values, unit=unit)), '"').astype(object)
    else:
        uniq, inverse = np.unique(col.values, return_inverse=True)
        if col.kind == BOOL:
            enc = ["true" if v else "false" for v in uniq]
        elif col.kind == INT:
            enc = [str(int(v)) for v in uniq]
        elif col.kind == FLOAT:
            enc = [repr(float(v)) for v in uniq]
        else:
            enc = [json.dumps(str(v)) for v in uniq]
        texts = np.asarray(enc, dtype=object)[inverse]
    return np.where(nulls, "null", texts)


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
    table, column = str(rule.arg).split(".", 1)
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
    else:
        rows = _indices(rule, rng, parent.n, n)
    nulls = pcol.nulls[rows] if pcol.nulls is not None else None
    return Col(pcol.kind, pcol.values[rows], nulls=nulls, parent_rows=rows)


def _gen_self_ref(rule: Rule, ctx: Context, n: int, column: str) -> Col:
    """Parent rows of the same table, one level deep: parents are rows without a parent.

    With `within: col`, a child's parent shares its value of `col` (a subtask is in its
    parent's project). Rows whose group has no possible parent get NULL.
    """
    own = ctx.cols.get(column)
    if own is None:
        raise SeedError(f"{rule.where}: generate {ctx.table}.{column} before this self-reference")
    rng = ctx.rng(rule.column)
    is_child = rng.random(n) >= rule.null_fraction if rule.null_fraction > 0 else np.ones(n, dtype=bool)
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
    nulls = parent_rows < 0
    values = own.values[np.maximum(parent_rows, 0)]
    return Col(own.kind, values, nulls=nulls, parent_rows=parent_rows)


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
    rows = np.maximum(fk.parent_rows, 0)
    values = pcol.values[rows]
    nulls = (fk.parent_rows < 0) | (pcol.nulls[rows] if pcol.nulls is not None else False)
    return Col(pcol.kind, values, nulls=np.asarray(nulls)), fk.parent_rows


def _parent_table_of(ctx: Context, fk_col: str) -> TableData:
    target = ctx.column_types.get(f"ref:{fk_col}")
    if target is None:
        raise SeedError(f"tables.{ctx.table}.columns.{fk_col}: not a reference")
    if target == ctx.table:
        return TableData(ctx.table, ctx.n, ctx.cols)
    return ctx.done[target]


def _gen_copy(rule: Rule, ctx: Context, n: int) -> Col:
    col, _ = _resolve(rule, ctx, str(rule.arg))
    return Col(col.kind, col.values, nulls=col.nulls if col.nulls is not None and col.nulls.any() else None)


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
            allowed = wanted if isinstance(wanted, list) else [wanted]
            match = np.isin(other.values.astype(str), [str(a) for a in allowed])
            nulls |= ~match
    if rule.null_fraction > 0:
        nulls |= rng.random(n) < rule.null_fraction
    kind = DATE if ctx.column_types.get(rule.column) == "date" else TIMESTAMP
    if kind == DATE:
        values = values.astype("datetime64[D]")
    return Col(kind, values, nulls=nulls)


def _gen_default(rule: Rule, ctx: Context, n: int) -> Col:
    raise SeedError(f"{rule.where}: a 'default' column is left to the database and is not generated")


_GENERATORS: dict[str, Callable[[Rule, Context, int], Col]] = {
    "value": _gen_value, "sequence": _gen_sequence, "int": _gen_int, "numeric": _gen_numeric,
    "bool": _gen_bool, "choice": _gen_choice, "timestamp": _gen_timestamp, "date": _gen_date,
    "uuid": _gen_uuid, "faker": _gen_faker, "text": _gen_text, "json": _gen_json, "array": _gen_array,
    "ref": _gen_ref, "copy": _gen_copy, "after": _gen_after, "default": _gen_default,
}


def to_arrow(col: Col) -> pa.Array:
    """The column as an Arrow array (NULLs as nulls), ready for the CSV writer that feeds COPY."""
    mask = col.nulls if col.nulls is not None and col.nulls.any() else None
    if col.kind == TEXT:
        return pa.array(col.values, type=pa.string(), mask=mask, from_pandas=False)
    if col.kind == TIMESTAMP:
        return pa.array(col.values.astype("datetime64[us]"), type=pa.timestamp("us"), mask=mask)
    if col.kind == DATE:
        return pa.array(col.values.astype("datetime64[D]"), type=pa.date32(), mask=mask)
    return pa.array(col.values, mask=mask)
