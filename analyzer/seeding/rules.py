"""Column generator rules: the `columns:` entries of a workload's `tables:` parsed and checked.

A rule is a mapping with one kind key (`faker`, `choice`, `int`, `ref`, `after`, ...) and
optional modifiers (`null_fraction`, `unique`, `distinct`, `distribution`). Columns with no
rule get one inferred from the catalog (type, CHECK IN, foreign key). Every error names
the table and column.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from analyzer.errors import SeedError

KINDS = (
    "faker", "text", "choice", "int", "numeric", "date", "timestamp", "sequence", "ref", "copy",
    "after", "bool", "json", "array", "value", "uuid", "default", "vector", "histogram", "range",
)
MODIFIERS = (
    "null_fraction", "unique", "distinct", "distribution", "s", "mean", "sd", "args", "locale",
    "words", "when", "min", "max", "within", "time_of_day", "length", "shape", "decimals",
    "ranges", "ordered", "nulls_with", "nulls_without", "required_without", "at_least", "strict",
    "max_length", "min_length", "match_top", "case", "disjoint",
)
# Modifiers that name another column of the same table (generated first).
COLUMN_MODIFIERS = ("nulls_with", "nulls_without", "required_without", "at_least")
DISTRIBUTIONS = ("uniform", "zipf", "normal")


@dataclass(frozen=True)
class Rule:
    """One column's generator: the kind, its argument, and the modifiers that shape the values."""

    table: str
    column: str
    kind: str
    arg: Any
    null_fraction: float = 0.0
    unique: bool = False
    distinct: int | None = None
    distribution: str = "uniform"
    s: float = 1.1  # zipf exponent
    mean: float | None = None
    sd: float | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"tables.{self.table}.columns.{self.column}"

    def depends_on(self) -> tuple[str, ...]:
        """Columns of the same table that must be generated first."""
        deps: list[str] = []
        if self.kind == "ref" and str(self.arg).rsplit(".", 1)[0] == self.table:
            deps.append(str(self.arg).rsplit(".", 1)[1])  # a self-reference picks among this table's rows
        if self.kind == "copy":
            deps.append(str(self.arg).split(".", 1)[0])
        if self.kind == "after":
            deps.append(str(self.arg).split(".", 1)[0])
        when = self.options.get("when")
        if isinstance(when, Mapping):
            deps.extend(str(k) for k in when)
        within = self.options.get("within")
        if within:
            deps.append(str(within))
        deps.extend(str(c) for c in self.options.get("disjoint") or ())
        deps.extend(str(self.options[m]) for m in COLUMN_MODIFIERS if self.options.get(m))
        if self.kind == "json":
            for sub in self.arg.values():
                deps.extend(sub.depends_on())
        if self.kind == "array":
            deps.extend(self.arg.depends_on())
        return tuple(d for d in deps if d != self.column)


def parse_rule(table: str, column: str, raw: Any) -> Rule:
    """Turn a YAML rule into a Rule; a bare scalar is a constant value."""
    where = f"tables.{table}.columns.{column}"
    if not isinstance(raw, Mapping):
        return Rule(table, column, "value", raw)
    kinds = [k for k in raw if k in KINDS]
    unknown = [k for k in raw if k not in KINDS and k not in MODIFIERS]
    if unknown:
        close = difflib.get_close_matches(unknown[0], KINDS + MODIFIERS, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (kinds: {', '.join(KINDS)})"
        raise SeedError(f"{where}: unknown key '{unknown[0]}'{hint}")
    if len(kinds) != 1:
        raise SeedError(f"{where}: a rule has exactly one kind of {', '.join(KINDS)}; found {kinds or 'none'}")
    kind = kinds[0]
    arg = raw[kind]
    null_fraction = float(raw.get("null_fraction", 0.0))
    if not 0.0 <= null_fraction <= 1.0:
        raise SeedError(f"{where}: null_fraction must be between 0 and 1, not {null_fraction}")
    distribution = str(raw.get("distribution", "uniform"))
    if distribution not in DISTRIBUTIONS:
        raise SeedError(f"{where}: distribution '{distribution}' is not one of {', '.join(DISTRIBUTIONS)}")
    options = {k: v for k, v in raw.items() if k in MODIFIERS}
    if kind == "choice":
        arg = _parse_choice(where, arg)
    elif kind == "json":
        if not isinstance(arg, Mapping) or not arg:
            raise SeedError(f"{where}: json takes a mapping of field: rule")
        arg = {str(k): parse_rule(table, f"{column}.{k}", v) for k, v in arg.items()}
    elif kind == "array":
        arg = parse_rule(table, f"{column}[]", arg)
    elif kind in ("ref", "copy", "after"):
        if not isinstance(arg, str) or not re.fullmatch(r"(\w+\.)?\w+\.\w+|\w+", arg):
            raise SeedError(f"{where}: {kind} takes 'table.column' (or 'column' for after), not {arg!r}")
    elif kind in ("int", "numeric", "date", "timestamp", "range") and arg is not None and not isinstance(arg, Mapping):
        raise SeedError(f"{where}: {kind} takes a mapping such as {{min: .., max: ..}} or {{start: .., end: ..}}")
    if "match_top" in raw:
        _check_match_top(where, kind, distribution, raw["match_top"])
    s_value = float(raw.get("s", 1.1))
    if distribution == "zipf" and s_value <= 0:
        raise SeedError(f"{where}: zipf exponent s must be positive")
    if options.get("case") not in (None, "lower", "upper"):
        raise SeedError(f"{where}: case is lower or upper, not {options['case']!r}")
    disjoint = options.get("disjoint")
    if disjoint is not None and not (isinstance(disjoint, list) and all(isinstance(c, str) for c in disjoint)):
        raise SeedError(f"{where}: disjoint takes a list of columns (the `WITH =` columns of an exclusion constraint)")
    distinct = raw.get("distinct")
    if distinct is not None and (not isinstance(distinct, int) or distinct < 1):
        raise SeedError(f"{where}: distinct must be a positive whole number")
    return Rule(
        table=table, column=column, kind=kind, arg=arg, null_fraction=null_fraction,
        unique=bool(raw.get("unique", False)), distinct=distinct, distribution=distribution,
        s=s_value, mean=_opt_float(raw.get("mean")), sd=_opt_float(raw.get("sd")), options=options,
    )


def _check_match_top(where: str, kind: str, distribution: str, value: Any) -> None:
    """`match_top: {parent_column: [share, ...], ...}` on a uniform or zipf reference (ref_match.py)."""
    if kind != "ref" or distribution not in ("uniform", "zipf"):
        raise SeedError(f"{where}: match_top is for a ref with a uniform or zipf distribution")
    if not isinstance(value, Mapping) or not value:
        raise SeedError(f"{where}: match_top maps columns of the referenced table to shares: {{org_id: [0.37, 0.08]}}")
    for column, shares in value.items():
        if not isinstance(column, str) or not re.fullmatch(r"\w+", column):
            raise SeedError(f"{where}: match_top names a column of the referenced table, not {column!r}")
        ok = isinstance(shares, list) and shares and all(
            isinstance(f, int | float) and not isinstance(f, bool) and 0 <= f <= 1 for f in shares
        )
        if not ok or sum(shares) > 1.0001:
            raise SeedError(f"{where}: match_top.{column} is a list of shares between 0 and 1 that sum to at most 1")


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _parse_choice(where: str, arg: Any) -> tuple[tuple[Any, ...], tuple[float, ...]]:
    if isinstance(arg, list) and arg:
        return tuple(arg), tuple(1.0 / len(arg) for _ in arg)
    if isinstance(arg, Mapping) and arg:
        values = tuple(arg.keys())
        weights = tuple(float(w) for w in arg.values())
        if any(w < 0 for w in weights):
            raise SeedError(f"{where}: choice weights must not be negative")
        total = sum(weights)
        if abs(total - 1.0) > 1e-6:
            raise SeedError(f"{where}: choice weights sum to {total:g}, not 1")
        return values, weights
    raise SeedError(f"{where}: choice takes a list of values or a mapping value: weight")


def _is_int(type_name: str) -> bool:
    return type_name in ("integer", "bigint", "smallint")


def parse_instant(where: str, value: Any, default: datetime) -> datetime:
    """A date or timestamp bound from YAML (YAML may already have parsed it)."""
    if value is None:
        return default
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise SeedError(f"{where}: '{value}' is not a date or timestamp (YYYY-MM-DD[ HH:MM:SS])") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w|y)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31_536_000}


def parse_duration(where: str, value: Any) -> float:
    """'90m', '2h', '30d' (or a number of seconds) as seconds."""
    if isinstance(value, (int, float)):
        return float(value)
    m = _DURATION.match(str(value))
    if not m:
        raise SeedError(f"{where}: '{value}' is not a duration such as 90m, 2h, 30d")
    return float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
