"""Range values (whole seconds, days or units; tstzrange, tsrange, daterange, int4range, int8range, numrange) as range literals.

`range: {start, end}` is the window the lower bounds fall in; `min`/`max` bound each range's
length (durations such as 30m or 4h for time ranges, numbers otherwise). With `disjoint:
[room_id]` (inferred from `EXCLUDE USING gist (room_id WITH =, during WITH &&)`), the
ranges of rows that share those columns never overlap: each key's rows get consecutive
slots of the window, in row order, a range placed at random inside its slot. A key with more
rows than the window holds slots of the shortest length widens its own window past the end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyzer.errors import SeedError
from analyzer.seeding.generators import DEFAULT_END, DEFAULT_START, TEXT, Col, Context
from analyzer.seeding.rules import Rule, parse_duration, parse_instant

RANGE_TYPES = ("tstzrange", "tsrange", "daterange", "int4range", "int8range", "numrange")
# default length bounds per subtype: (min, max) in the subtype's unit (seconds, days, units)
_LENGTHS = {"time": (30 * 60, 4 * 3600), "date": (1, 14), "int": (1, 100), "num": (1, 100)}


def _subtype(pg_type: str) -> str:
    if pg_type in ("tstzrange", "tsrange"):
        return "time"
    if pg_type == "daterange":
        return "date"
    if pg_type in ("int4range", "int8range"):
        return "int"
    return "num"


def gen_range(rule: Rule, ctx: Context, n: int) -> Col:
    pg_type = ctx.column_types.get(rule.column, "tstzrange")
    sub = _subtype(pg_type)
    lo_len, hi_len = _length_bounds(rule, sub)
    start, end = _window(rule, sub)
    rng = ctx.rng(rule.column)
    lengths = lo_len + rng.random(n) * (hi_len - lo_len)
    disjoint = rule.options.get("disjoint")
    if disjoint is not None:
        lows, lengths = _disjoint_lows(rule, ctx, n, [str(c) for c in disjoint], start, end, lengths, lo_len, rng)
    else:
        lows = start + rng.random(n) * max(end - start - hi_len, 1)
    if sub in ("time", "date", "int"):
        lows = np.floor(lows).astype(np.int64)
        highs = lows + np.maximum(np.floor(lengths).astype(np.int64), 1)
    else:
        lows, highs = np.round(lows, 2), np.round(lows + np.maximum(lengths, 0.01), 2)
    return Col(TEXT, _literals(pg_type, sub, lows, highs))


def _length_bounds(rule: Rule, sub: str) -> tuple[float, float]:
    lo, hi = float(_LENGTHS[sub][0]), float(_LENGTHS[sub][1])
    if rule.options.get("min") is not None:
        lo = _length(rule, sub, rule.options["min"])
    if rule.options.get("max") is not None:
        hi = _length(rule, sub, rule.options["max"])
    if hi < lo or lo <= 0:
        raise SeedError(f"{rule.where}: range lengths need 0 < min <= max")
    return float(lo), float(hi)


def _length(rule: Rule, sub: str, value: object) -> float:
    if sub == "time":
        return parse_duration(rule.where, value)
    if sub == "date":
        return parse_duration(rule.where, value) / 86400 if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    return float(value)  # type: ignore[arg-type]


def _window(rule: Rule, sub: str) -> tuple[float, float]:
    arg = rule.arg or {}
    if sub in ("int", "num"):
        return float(arg.get("start", 0)), float(arg.get("end", 1_000_000))
    start = parse_instant(rule.where, arg.get("start"), DEFAULT_START).timestamp()
    end = parse_instant(rule.where, arg.get("end"), DEFAULT_END).timestamp()
    if end <= start:
        raise SeedError(f"{rule.where}: end must be after start")
    if sub == "date":
        return start // 86400, end // 86400
    return start, end


def _disjoint_lows(
    rule: Rule, ctx: Context, n: int, key_columns: list[str], start: float, end: float, lengths: np.ndarray,
    shortest: float, rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower bounds (and lengths cut to fit) such that rows with one key never overlap."""
    if key_columns:
        missing = [c for c in key_columns if c not in ctx.cols]
        if missing:
            raise SeedError(f"{rule.where}: disjoint names {missing[0]}, which has no values here")
        frame = pd.DataFrame({c: np.asarray(ctx.cols[c].values) for c in key_columns})
        key = frame.groupby(key_columns, sort=False, dropna=False).ngroup().to_numpy()
    else:
        key = np.zeros(n, dtype=np.int64)
    rank = pd.Series(key).groupby(key).cumcount().to_numpy()
    size = np.bincount(key)[key]
    slot = np.maximum((end - start) / size, shortest + 1)
    fitted = np.minimum(lengths, slot - 1)
    lows = start + rank * slot + rng.random(n) * (slot - 1 - fitted)
    return lows, np.maximum(fitted, 1)


def _literals(pg_type: str, sub: str, lows: np.ndarray, highs: np.ndarray) -> np.ndarray:
    """'[low,high)' texts."""
    if sub == "time":
        lo_text = np.datetime_as_string(lows.astype("datetime64[s]"))
        hi_text = np.datetime_as_string(highs.astype("datetime64[s]"))
        if pg_type == "tstzrange":
            lo_text, hi_text = np.char.add(lo_text, "+00"), np.char.add(hi_text, "+00")
    elif sub == "date":
        lo_text = np.datetime_as_string(lows.astype("datetime64[D]"))
        hi_text = np.datetime_as_string(highs.astype("datetime64[D]"))
    else:
        lo_text, hi_text = lows.astype(str), highs.astype(str)
    out = np.char.add(np.char.add(np.char.add("[", lo_text), np.char.add(",", hi_text)), ")")
    return out.astype(object)

