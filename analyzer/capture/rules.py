"""Turn a table's `pg_stats` into seeding rules whose data has the same statistics.

`null_frac` -> `null_fraction`, `n_distinct` -> `distinct`, MCVs and their frequencies, the
histogram bounds and the correlation -> a `histogram` rule (analyzer/seeding/histogram.py);
foreign keys -> `ref` with a zipf exponent fitted to the MCV frequencies (how skewed the
children are over their parents); CHECK (col IN ...) columns -> their allowed values as MCVs, booleans -> `bool`.
Text MCVs are real values (names, e-mails): unless `keep_values`, each is replaced by a
synthetic string of the same length, so the shape is kept and the values are not. Pure.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from analyzer.catalog import Column, Table

TEXT_TYPES = ("text", "character varying", "character(", "varchar", "citext", "name")
NUMERIC_PREFIXES = ("smallint", "integer", "bigint", "numeric", "double precision", "real", "date", "timestamp")


@dataclass(frozen=True)
class ColumnStatistics:
    """One row of pg_stats, values as text (their type is the column's)."""

    table: str
    column: str
    null_frac: float
    avg_width: int
    n_distinct: float
    mcv: tuple[str, ...] = ()
    mcf: tuple[float, ...] = ()
    bounds: tuple[str, ...] = ()
    correlation: float | None = None

    def distinct_count(self, rows: int) -> int:
        """n_distinct as a count (negative n_distinct is a fraction of the rows)."""
        nonnull = max(0, round(rows * (1 - self.null_frac)))
        count = self.n_distinct if self.n_distinct >= 0 else -self.n_distinct * rows
        return max(1, min(nonnull, round(count))) if nonnull else 0


def is_text(type_name: str) -> bool:
    return type_name.lower().startswith(TEXT_TYPES) and not type_name.endswith("[]")


def table_rules(
    table: Table,
    stats: Mapping[str, ColumnStatistics],
    rows: int,
    parent_rows: Mapping[str, int],
    keep_values: bool,
    copies: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The `columns:` mapping of one table; columns left out are inferred by the seeder as today.
    `copies` maps a column to the foreign key it follows in the source (`org_id` -> `project_id`)."""
    out: dict[str, Any] = {}
    for column in table.columns:
        if copies and column.name in copies:
            out[column.name] = {"copy": f"{copies[column.name]}.{column.name}"}
            continue
        rule = column_rule(table, column, stats.get(column.name), rows, parent_rows, keep_values)
        if rule is not None and "ref" in rule:
            rule = _with_copied_shares(rule, column.name, copies or {}, stats)
        if rule is not None:
            out[column.name] = rule
    return out


def _with_copied_shares(
    rule: dict[str, Any], via: str, copies: Mapping[str, str], stats: Mapping[str, ColumnStatistics]
) -> dict[str, Any]:
    """A foreign key that a tenant key is copied down gets that key's observed shares (`match_top`):
    the twin's copied column then has the source's frequencies, not the product of two fits.
    Of several columns copied down one key, the most skewed one is matched."""
    copied = [stats[c] for c, key in copies.items() if key == via and c in stats and stats[c].mcf]
    if not copied:
        return rule
    st = max(copied, key=lambda c: max(c.mcf))
    shares = [round(f, 6) for f in sorted(st.mcf, reverse=True)]
    return {**rule, "match_top": {st.column: shares}}


def tenant_copy_candidates(table: Table, tables: Mapping[str, Table]) -> list[tuple[str, str, str]]:
    """(column, via, parent) where a foreign key's target is also the target of the same-named key of
    another parent (`tasks.org_id` beside `tasks.project_id -> projects.org_id`): whether the source
    really copies it down is then checked on the data (`follows_parent`)."""
    out: list[tuple[str, str, str]] = []
    for fk in table.foreign_keys:
        if len(fk.columns) != 1 or fk.ref_table == table.name:
            continue
        column = fk.columns[0]
        for other in table.foreign_keys:
            if other is fk or len(other.columns) != 1 or other.ref_table in (table.name, fk.ref_table):
                continue
            parent = tables.get(other.ref_table)
            if parent is not None and any(
                f.ref_table == fk.ref_table and f.ref_columns == fk.ref_columns and f.columns == (column,)
                for f in parent.foreign_keys
            ):
                out.append((column, other.columns[0], other.ref_table))
                break
    return out


def column_rule(
    table: Table,
    column: Column,
    st: ColumnStatistics | None,
    rows: int,
    parent_rows: Mapping[str, int],
    keep_values: bool,
) -> dict[str, Any] | None:
    """One column's rule, or None where the seeder's own inference is right (keys, generated)."""
    name, type_name = column.name, column.type
    if column.generated or column.identity or (column.default or "").startswith("nextval("):
        return None
    if table.primary_key == (name,) and type_name in ("smallint", "integer", "bigint", "uuid"):
        return None
    if any(name in fk.columns[1:] for fk in table.foreign_keys):
        return None  # the other columns of a composite foreign key are copied from the parent row
    nf = round(st.null_frac, 4) if st is not None else (0.0 if column.not_null else 0.1)
    fk = next((f for f in table.foreign_keys if f.columns[0] == name), None)
    if fk is not None:
        rule: dict[str, Any] = {"ref": f"{fk.ref_table}.{fk.ref_columns[0]}"}
        if st is not None and fk.ref_table != table.name:
            s = fit_zipf(st, parent_rows.get(fk.ref_table, 0))
            if s is not None:
                rule.update(distribution="zipf", s=s)
        return _with_nulls(rule, nf)
    if st is None:
        return None
    if column.check_values:
        # the allowed values are in the schema already (nothing private); as MCVs their counts are exact
        weights = _check_choice(column.check_values, st)
        mcv = [[v, round(w * (1 - st.null_frac), 6)] for v, w in weights.items()]
        return _with_nulls({"histogram": {"mcv": mcv}, "distinct": len(mcv)}, nf)
    if type_name == "boolean":
        freqs = dict(zip(st.mcv, st.mcf, strict=False))
        share = freqs.get("t", 0.0) / max(1e-9, freqs.get("t", 0.0) + freqs.get("f", 0.0))
        return _with_nulls({"bool": round(share, 4)}, nf)
    if type_name in ("json", "jsonb"):
        # documents are private: one synthetic field with the column's distinct count and width
        inner = {"histogram": {"width": max(1, st.avg_width - 10)}, "distinct": st.distinct_count(rows) or 1}
        return _with_nulls({"json": {"k": inner}}, nf)
    if type_name == "uuid":
        return _with_nulls({"uuid": True}, nf)
    if type_name.endswith("[]"):
        return _with_nulls({"array": {"text": "word"}, "length": [0, 3]}, nf)
    text = is_text(type_name)
    if not text and not type_name.lower().startswith(NUMERIC_PREFIXES):
        # enums, domains, intervals ...: the MCVs are labels the schema already holds
        if st.mcv:
            return _with_nulls({"choice": _normalized(st.mcv, st.mcf)}, nf)
        return None
    return _histogram_rule(table, column, st, rows, keep_values or not text, nf)


def _histogram_rule(
    table: Table, column: Column, st: ColumnStatistics, rows: int, keep: bool, nf: float
) -> dict[str, Any]:
    text = is_text(column.type)
    width = max(1, st.avg_width - (1 if text else 0))  # a short varlena has a 1-byte header
    arg: dict[str, Any] = {}
    if st.mcv:
        values = [_typed(v, column.type) for v in st.mcv]
        if text and not keep:
            values = [synthetic_value(table.name, column.name, i, len(str(v))) for i, v in enumerate(values)]
        arg["mcv"] = [[v, round(f, 6)] for v, f in zip(values, st.mcf, strict=False)]
    if st.bounds and not text:
        arg["bounds"] = [_typed(v, column.type) for v in st.bounds]
    if text:
        arg["width"] = width
    if st.correlation is not None and abs(st.correlation) >= 0.5:
        arg["correlation"] = round(st.correlation, 3)
    rule: dict[str, Any] = {"histogram": arg}
    unique = any(u == (column.name,) for u in table.unique_sets)
    if unique:
        rule["unique"] = True
    else:
        rule["distinct"] = st.distinct_count(rows) or 1
    return _with_nulls(rule, nf)


def synthetic_value(table: str, column: str, rank: int, length: int) -> str:
    """A stand-in for a real MCV: the same length, letters derived from where it is, not what it was."""
    digest = hashlib.sha256(f"{table}.{column}.{rank}".encode()).digest()
    letters = "".join(chr(97 + b % 26) for b in digest)
    while len(letters) < length:
        letters += letters
    return letters[: max(1, length)]


def fit_zipf(st: ColumnStatistics, parents: int) -> float | None:
    """The zipf exponent whose top frequencies over `parents` best match the MCV frequencies;
    None when the children are spread evenly (no MCVs, or an exponent near 0)."""
    nonnull = 1.0 - st.null_frac
    if not st.mcf or parents < 2 or nonnull <= 0:
        return None
    observed = np.asarray(sorted(st.mcf, reverse=True), dtype=np.float64) / nonnull
    ranks = np.arange(1, len(observed) + 1, dtype=np.float64)
    best, best_err = 0.0, math.inf
    for s in np.arange(0.0, 2.51, 0.02):
        predicted = ranks ** (-s) / _harmonic(parents, float(s))
        err = float(np.sum((predicted - observed) ** 2))
        if err < best_err:
            best, best_err = float(s), err
    return round(best, 2) if best >= 0.1 else None


def _harmonic(n: int, s: float) -> float:
    """sum_{k=1..n} k^-s: exact for the first 10,000 terms, the integral beyond."""
    head = min(n, 10_000)
    total = float(np.sum(np.arange(1, head + 1, dtype=np.float64) ** (-s)))
    if n > head:
        a, b = head + 0.5, n + 0.5
        total += math.log(b / a) if abs(s - 1) < 1e-9 else (b ** (1 - s) - a ** (1 - s)) / (1 - s)
    return total


def _check_choice(allowed: tuple[str, ...], st: ColumnStatistics) -> dict[str, float]:
    """Weights of a CHECK (col IN ...) column: MCV frequencies, the rest shared by the unseen values."""
    freqs = {v: f for v, f in zip(st.mcv, st.mcf, strict=False) if v in allowed}
    seen = sum(freqs.values())
    nonnull = max(1e-9, 1.0 - st.null_frac)
    unseen = [v for v in allowed if v not in freqs]
    if unseen and nonnull - seen > 0.001:
        for v in unseen:
            freqs[v] = (nonnull - seen) / len(unseen)
    if not freqs:
        freqs = {v: 1.0 for v in allowed}
    return _normalized(tuple(freqs), tuple(freqs.values()))


def _normalized(values: tuple[Any, ...], weights: tuple[float, ...]) -> dict[str, float]:
    total = sum(weights)
    return {str(v): w / total for v, w in zip(values, weights, strict=False)}


def _with_nulls(rule: dict[str, Any], nf: float) -> dict[str, Any]:
    if nf > 0:
        rule["null_fraction"] = nf
    return rule


def _typed(value: str, type_name: str) -> Any:
    """A pg_stats value (text) as the YAML scalar of its column type."""
    t = type_name.lower()
    try:
        if t in ("smallint", "integer", "bigint"):
            return int(value)
        if t.startswith(("numeric", "double precision", "real")):
            return float(value)
    except ValueError:
        return value
    return value
