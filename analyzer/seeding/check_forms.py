"""CHECK constraints read as facts a generator can honour: ranges, value lists, lengths, NULL pairings.

The definitions come from `pg_get_constraintdef` (or a domain's CHECK on VALUE) and are parsed
with pglast, so only the server's own normalized spelling has to be understood. A constraint
with a form not listed here is reported by name before anything is loaded: a check the data
would break is better said up front than found by COPY halfway through.
"""

# pglast types every AST field as Optional; the shapes matched here always have them set.
# mypy: disable-error-code="index,union-attr,arg-type"
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pglast import ast, parse_sql
from pglast.enums import A_Expr_Kind, BoolExprType, NullTestType

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>"}
_LENGTH_FUNCS = ("length", "char_length", "character_length", "octet_length")


@dataclass
class ColumnFacts:
    """What the CHECKs say about one column's values."""

    low: float | None = None  # inclusive bounds after strictness is folded in (for integers)
    high: float | None = None
    low_strict: bool = False
    high_strict: bool = False
    values: tuple[Any, ...] | None = None
    excluded: tuple[Any, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    not_null: bool = False
    time_low: str | None = None  # a date/timestamp bound, as the ISO text of the constraint
    time_high: str | None = None


@dataclass
class CheckFacts:
    """Per-column facts and the multi-column forms, with the constraints nothing here understands."""

    columns: dict[str, ColumnFacts] = field(default_factory=dict)
    nulls_with: list[tuple[str, str]] = field(default_factory=list)  # (a IS NULL) = (b IS NULL)
    nulls_without: list[tuple[str, str]] = field(default_factory=list)  # exactly one of a, b
    required_without: list[tuple[str, str]] = field(default_factory=list)  # a IS NOT NULL OR b IS NOT NULL
    at_least: list[tuple[str, str, bool]] = field(default_factory=list)  # (low col, high col, strict)
    unsupported: list[tuple[str, str]] = field(default_factory=list)  # (constraint name, definition)

    def column(self, name: str) -> ColumnFacts:
        return self.columns.setdefault(name, ColumnFacts())


class _Unsupported(Exception):
    pass


def analyze_checks(checks: list[tuple[str, str, str | None]]) -> CheckFacts:
    """Facts from (constraint name, definition, column for VALUE) triples; unknown forms are listed."""
    facts = CheckFacts()
    for name, definition, value_column in checks:
        body = re.sub(r"\s+NOT VALID\s*$", "", definition.strip())
        body = re.sub(r"^CHECK\s*", "", body)
        try:
            tree = parse_sql(f"SELECT {body}")
            stmt = tree[0].stmt
            assert isinstance(stmt, ast.SelectStmt) and stmt.targetList
            expr = stmt.targetList[0].val
            _conjunct(expr, facts, value_column)
        except Exception:  # noqa: BLE001 - a form not understood, or not parseable: reported by name
            facts.unsupported.append((name, definition))
    return facts


def _column(node: Any, value_column: str | None) -> str | None:
    while isinstance(node, ast.TypeCast):
        node = node.arg
    if isinstance(node, ast.ColumnRef) and node.fields and isinstance(node.fields[-1], ast.String):
        name = str(node.fields[-1].sval)
        if value_column is not None and name.lower() == "value":
            return value_column
        return name
    return None


def _const(node: Any) -> Any:
    while isinstance(node, ast.TypeCast):
        node = node.arg
    if isinstance(node, ast.A_Const) and not node.isnull:
        v = node.val
        if isinstance(v, ast.Integer):
            return int(v.ival)
        if isinstance(v, ast.Float):
            return float(v.fval)
        if isinstance(v, ast.String):
            return str(v.sval)
        if isinstance(v, ast.Boolean):
            return bool(v.boolval)
    if isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_OP and node.lexpr is None:
        inner = _const(node.rexpr)  # a negative number: unary minus
        if isinstance(inner, (int, float)) and node.name[0].sval == "-":
            return -inner
    raise _Unsupported


def _const_or_none(node: Any) -> Any:
    try:
        return _const(node)
    except _Unsupported:
        return None


def _num_nonnulls(node: Any, value_column: str | None) -> list[str] | None:
    if isinstance(node, ast.FuncCall) and str(node.funcname[-1].sval).lower() == "num_nonnulls" and node.args:
        cols = [_column(a, value_column) for a in node.args]
        if all(cols):
            return [str(c) for c in cols]
    return None


def _length_of(node: Any, value_column: str | None) -> str | None:
    if isinstance(node, ast.FuncCall) and node.args and len(node.args) == 1:
        fname = str(node.funcname[-1].sval).lower()
        if fname in _LENGTH_FUNCS:
            arg = node.args[0]
            if isinstance(arg, ast.FuncCall) and str(arg.funcname[-1].sval).lower() in ("btrim", "trim"):
                arg = arg.args[0] if arg.args else arg
            return _column(arg, value_column)
    return None


def _conjunct(expr: Any, facts: CheckFacts, vc: str | None) -> None:
    if isinstance(expr, ast.BoolExpr) and expr.boolop == BoolExprType.AND_EXPR:
        for arg in expr.args:
            _conjunct(arg, facts, vc)
        return
    if isinstance(expr, ast.BoolExpr) and expr.boolop == BoolExprType.OR_EXPR:
        _disjunction(expr, facts, vc)
        return
    if isinstance(expr, ast.NullTest):
        col = _column(expr.arg, vc)
        if col is None:
            raise _Unsupported
        if expr.nulltesttype == NullTestType.IS_NOT_NULL:
            facts.column(col).not_null = True
            return
        raise _Unsupported
    if isinstance(expr, ast.A_Expr) and expr.kind == A_Expr_Kind.AEXPR_OP_ANY:
        col = _column(expr.lexpr, vc)
        array = expr.rexpr
        while isinstance(array, ast.TypeCast):  # (ARRAY['a'::varchar, ...])::text[], as Rails writes it
            array = array.arg
        if col is None or expr.name[0].sval != "=" or not isinstance(array, ast.A_ArrayExpr):
            raise _Unsupported
        values = tuple(_const(e) for e in array.elements or ())
        _restrict_values(facts.column(col), values)
        return
    if isinstance(expr, ast.A_Expr) and expr.kind == A_Expr_Kind.AEXPR_OP:
        op = str(expr.name[-1].sval)
        if op not in _FLIP:
            raise _Unsupported
        if isinstance(expr.lexpr, ast.NullTest) and isinstance(expr.rexpr, ast.NullTest) and op in ("=", "<>"):
            a, b = _column(expr.lexpr.arg, vc), _column(expr.rexpr.arg, vc)
            if a is None or b is None:
                raise _Unsupported
            same = (expr.lexpr.nulltesttype == expr.rexpr.nulltesttype) == (op == "=")
            (facts.nulls_with if same else facts.nulls_without).append((a, b))
            return
        left_col, right_col = _column(expr.lexpr, vc), _column(expr.rexpr, vc)
        if left_col is not None and right_col is not None:
            if op in ("<", "<="):
                facts.at_least.append((left_col, right_col, op == "<"))
            elif op in (">", ">="):
                facts.at_least.append((right_col, left_col, op == ">"))
            else:
                raise _Unsupported
            return
        nonnulls = _num_nonnulls(expr.lexpr, vc)
        if nonnulls is not None and len(nonnulls) == 2 and op in ("=", ">=", ">", "<="):
            wanted = int(_const(expr.rexpr))
            if op == "=" and wanted == 1:
                facts.nulls_without.append((nonnulls[0], nonnulls[1]))
            elif (op == ">=" and wanted == 1) or (op == ">" and wanted == 0):
                facts.required_without.append((nonnulls[0], nonnulls[1]))
            elif op == "<=" and wanted == 1:
                facts.nulls_without.append((nonnulls[0], nonnulls[1]))
            elif op == "=" and wanted == 2:
                facts.column(nonnulls[0]).not_null = facts.column(nonnulls[1]).not_null = True
            else:
                raise _Unsupported
            return
        if op == "<>" and isinstance(expr.lexpr, ast.FuncCall) and _const_or_none(expr.rexpr) == "":
            col = next((c for c in (_column(a, vc) for a in expr.lexpr.args or ()) if c), None)
            if col is not None:  # btrim(name) <> '': generated text is never blank
                facts.column(col).min_length = max(facts.column(col).min_length or 0, 1)
                return
        length_col = _length_of(expr.lexpr, vc)
        if length_col is not None:
            _length(facts.column(length_col), op, int(_const(expr.rexpr)))
            return
        length_col = _length_of(expr.rexpr, vc)
        if length_col is not None:
            _length(facts.column(length_col), _FLIP[op], int(_const(expr.lexpr)))
            return
        if left_col is not None:
            _compare(facts.column(left_col), op, _const(expr.rexpr))
            return
        if right_col is not None:
            _compare(facts.column(right_col), _FLIP[op], _const(expr.lexpr))
            return
    raise _Unsupported


def _disjunction(expr: ast.BoolExpr, facts: CheckFacts, vc: str | None) -> None:
    """`a = 'x' OR a = 'y'` (a value list) and `a IS NOT NULL OR b IS NOT NULL` (at least one)."""
    args = list(expr.args)
    if all(isinstance(a, ast.NullTest) and a.nulltesttype == NullTestType.IS_NOT_NULL for a in args):
        cols = [_column(a.arg, vc) for a in args]
        if None in cols or len(cols) != 2:
            raise _Unsupported
        facts.required_without.append((str(cols[0]), str(cols[1])))
        return
    col: str | None = None
    values: list[Any] = []
    for a in args:
        if not (isinstance(a, ast.A_Expr) and a.kind == A_Expr_Kind.AEXPR_OP and a.name[-1].sval == "="):
            raise _Unsupported
        c = _column(a.lexpr, vc)
        if c is None or (col is not None and c != col):
            raise _Unsupported
        col = c
        values.append(_const(a.rexpr))
    if col is None:
        raise _Unsupported
    _restrict_values(facts.column(col), tuple(values))


def _restrict_values(f: ColumnFacts, values: tuple[Any, ...]) -> None:
    f.values = values if f.values is None else tuple(v for v in f.values if v in values)


def _compare(f: ColumnFacts, op: str, value: Any) -> None:
    if op == "=":
        _restrict_values(f, (value,))
        return
    if op == "<>":
        f.excluded = f.excluded + (value,)
        return
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T][\d:.+-]+)?", value):
        if op in (">", ">="):
            f.time_low = value if f.time_low is None or value > f.time_low else f.time_low
        else:
            f.time_high = value if f.time_high is None or value < f.time_high else f.time_high
        return
    if not isinstance(value, (int, float)):
        raise _Unsupported  # a bound on a text: not understood, so said up front
    if op in (">", ">="):
        if f.low is None or value >= f.low:
            f.low, f.low_strict = float(value), op == ">"
    else:
        if f.high is None or value <= f.high:
            f.high, f.high_strict = float(value), op == "<"


def _length(f: ColumnFacts, op: str, n: int) -> None:
    if op in (">", ">="):
        f.min_length = max(f.min_length or 0, n + (1 if op == ">" else 0))
    elif op in ("<", "<="):
        high = n - (1 if op == "<" else 0)
        f.max_length = high if f.max_length is None else min(f.max_length, high)
    elif op == "=":
        f.min_length = f.max_length = n
    elif op == "<>" and n == 0:
        f.min_length = max(f.min_length or 0, 1)
    else:
        raise _Unsupported
