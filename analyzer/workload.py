"""Load a workload file (YAML) into frozen dataclasses, validated once at the border.

Every error names the file, the line and the key or query, in one line. Nothing
downstream handles the raw YAML mapping.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from analyzer.checks import CheckThresholds, Expectations, parse_expectations, parse_thresholds
from analyzer.errors import WorkloadError
from analyzer.sqlparams import convert_named_params


@dataclass(frozen=True)
class ParamSource:
    """Where a query parameter's values come from: a literal, a list, seeded data, or a query."""

    kind: str  # "literal", "values", "sample", "sql"
    literal: Any = None
    values: tuple[Any, ...] = ()
    table: str | None = None
    column: str | None = None
    where: str | None = None
    pick: str = "rows"
    sql: str | None = None
    group: str | None = None  # `from:`: parameters of one group are drawn from one row (default: the table)


@dataclass(frozen=True)
class Statement:
    """A declared query or write: its SQL with named parameters and how to fill them."""

    name: str
    sql: str  # as written, with :name parameters
    weight: float
    params: Mapping[str, ParamSource]
    expect: Expectations
    line: int
    description: str = ""
    psycopg_sql: str = ""  # %(name)s placeholders, literal % doubled
    param_order: tuple[str, ...] = ()  # names in order of first use; $1.. in `positional_sql`
    positional_sql: str = ""  # $1, $2 placeholders: parseable by the PostgreSQL parser


@dataclass(frozen=True)
class TableRule:
    """How many rows to seed in a table and the generator rule of each declared column."""

    name: str
    rows: int
    columns: Mapping[str, Any]
    unique: tuple[tuple[str, ...], ...] = ()
    line: int = 0


@dataclass(frozen=True)
class ReplaySettings:
    """How hard replay works: parameter sets, timed runs, and the time budget per query."""

    param_sets: int = 5
    runs: int = 5
    warmup: int = 1
    budget_s: float = 4.0
    statement_timeout_s: float = 30.0
    settings: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Workload:
    """A whole workload file, validated."""

    name: str
    path: Path
    description: str
    schema_sql: str | None
    seed_data: bool
    default_seed: int
    scale: float
    tables: Mapping[str, TableRule]
    queries: tuple[Statement, ...]
    writes: tuple[Statement, ...]
    replay: ReplaySettings
    thresholds: CheckThresholds

    def where(self, detail: str) -> str:
        """A location prefix for error messages about this workload."""
        return f"{self.path}: {detail}"


_PLANNER_PINS = {"jit": "off", "max_parallel_workers_per_gather": "0"}


def load_workload(path: str | Path) -> Workload:
    """Read, validate and convert a workload file; raise WorkloadError naming the problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WorkloadError(f"{path}: no such workload file") from None
    except OSError as e:
        raise WorkloadError(f"{path}: cannot read: {e.strerror}") from None
    try:
        root_node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise WorkloadError(f"{where}: malformed YAML: {problem}") from None
    if not isinstance(data, dict):
        raise WorkloadError(f"{path}: a workload file is a mapping with at least 'name' and 'queries'")
    lines = _line_index(root_node)
    _validate_schema(path, data, lines)
    return _build(path, data, lines)


def workload_json_schema() -> dict[str, Any]:
    """The JSON Schema shipped with the package (docs/workload-format.md describes it)."""
    text = resources.files("analyzer").joinpath("schema/workload.schema.json").read_text("utf-8")
    return dict(json.loads(text))


def _validate_schema(path: Path, data: Mapping[str, Any], lines: dict[tuple[Any, ...], int]) -> None:
    validator = jsonschema.Draft202012Validator(workload_json_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is None:
        return
    loc = tuple(error.absolute_path)
    extra = re.findall(r"'([^']+)' was unexpected", error.message) if error.validator == "additionalProperties" else []
    line = _nearest_line(lines, loc + (extra[0],) if extra else loc)
    message = _friendly(error, data)
    raise WorkloadError(f"{path}:{line}: {_describe_location(data, loc)}: {message}")


def _friendly(error: jsonschema.ValidationError, data: Mapping[str, Any]) -> str:
    if error.validator == "additionalProperties":
        extra = re.findall(r"'([^']+)' was unexpected", error.message)
        allowed = list(error.schema.get("properties", {}))
        if extra:
            close = difflib.get_close_matches(extra[0], allowed, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(allowed)})"
            return f"unknown key '{extra[0]}'{hint}"
    if error.validator == "required":
        return str(error.message).replace("is a required property", "is required")
    if error.validator == "oneOf" and error.absolute_path and "params" in error.absolute_path:
        return (
            "a parameter is a literal, {values: [...]}, {sample: table.column[, where, pick]} "
            "or {sql: 'SELECT ...'}"
        )
    return str(error.message).splitlines()[0]


def _describe_location(data: Mapping[str, Any], loc: tuple[Any, ...]) -> str:
    if not loc:
        return "top level"
    parts: list[str] = []
    node: Any = data
    for key in loc:
        if isinstance(key, int) and isinstance(node, list):
            item = node[key] if key < len(node) else None
            name = item.get("name") if isinstance(item, dict) else None
            parts.append(f"[{key}]" if name is None else f"['{name}']")
            node = item
        else:
            parts.append(f".{key}" if parts else str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts)


def _line_index(node: Any, prefix: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """Map every key path of the YAML document to its 1-based line number."""
    out: dict[tuple[Any, ...], int] = {}
    if node is None:
        return out
    out[prefix] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[prefix + (key,)] = key_node.start_mark.line + 1
            out.update({k: v for k, v in _line_index(value_node, prefix + (key,)).items() if k != prefix + (key,)})
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out.update(_line_index(item, prefix + (i,)))
    return out


def _nearest_line(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int:
    loc = tuple(str(k) if not isinstance(k, int) else k for k in loc)
    while loc and loc not in lines:
        loc = loc[:-1]
    return lines.get(loc, 1)


def _build(path: Path, data: Mapping[str, Any], lines: dict[tuple[Any, ...], int]) -> Workload:
    schema_sql = _load_schema_sql(path, data.get("schema"), lines)
    seed_value = data.get("seed", True)
    seed_data = seed_value is not False
    default_seed = seed_value if isinstance(seed_value, int) and not isinstance(seed_value, bool) else 42
    tables = {
        name: TableRule(
            name=name,
            rows=int(rule["rows"]),
            columns=dict(rule.get("columns") or {}),
            unique=tuple(tuple(cols) for cols in rule.get("unique", [])),
            line=lines.get(("tables", name), 0),
        )
        for name, rule in (data.get("tables") or {}).items()
    }
    if seed_data and schema_sql is None and tables:
        raise WorkloadError(f"{path}: 'tables' declares seeding rules but there is no 'schema' to create")
    queries = _statements(path, data.get("queries", []), "queries", lines)
    writes = _statements(path, data.get("writes", []), "writes", lines)
    replay_raw = dict(data.get("replay") or {})
    settings = dict(_PLANNER_PINS)
    settings.update({k: _setting_text(v) for k, v in (replay_raw.pop("settings", None) or {}).items()})
    replay = ReplaySettings(settings=settings, **replay_raw)
    thresholds = parse_thresholds(data.get("checks"), f"{path}: checks")
    return Workload(
        name=str(data["name"]),
        path=path,
        description=str(data.get("description", "")),
        schema_sql=schema_sql,
        seed_data=seed_data,
        default_seed=default_seed,
        scale=float(data.get("scale", 1.0)),
        tables=tables,
        queries=queries,
        writes=writes,
        replay=replay,
        thresholds=thresholds,
    )


def _setting_text(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _load_schema_sql(path: Path, value: Any, lines: dict[tuple[Any, ...], int]) -> str | None:
    if value is None:
        return None
    text = str(value)
    if "\n" not in text.strip() and text.strip().endswith(".sql"):
        sql_path = (path.parent / text.strip()).resolve()
        try:
            return sql_path.read_text(encoding="utf-8")
        except OSError:
            line = lines.get(("schema",), 1)
            raise WorkloadError(f"{path}:{line}: schema: cannot read {text.strip()}") from None
    return text


def _statements(
    path: Path, items: list[Mapping[str, Any]], section: str, lines: dict[tuple[Any, ...], int]
) -> tuple[Statement, ...]:
    seen: set[str] = set()
    out: list[Statement] = []
    for i, item in enumerate(items):
        name = str(item["name"])
        line = lines.get((section, i), 0)
        where = f"{path}:{line}: {'query' if section == 'queries' else 'write'} '{name}'"
        if name in seen:
            raise WorkloadError(f"{where}: the name is used twice")
        seen.add(name)
        try:
            converted = convert_named_params(str(item["sql"]))
        except ValueError as e:
            raise WorkloadError(f"{where}: sql: {e}") from None
        params = {key: _param_source(where, key, raw) for key, raw in (item.get("params") or {}).items()}
        missing = [p for p in converted.names if p not in params]
        if missing:
            raise WorkloadError(f"{where}: sql uses :{missing[0]} but params does not define it")
        unused = [p for p in params if p not in converted.names]
        if unused:
            raise WorkloadError(f"{where}: params.{unused[0]} is not used in the sql (write it as :{unused[0]})")
        out.append(
            Statement(
                name=name,
                sql=str(item["sql"]).strip(),
                weight=float(item.get("weight", 1.0)),
                params=params,
                expect=parse_expectations(item.get("expect"), where),
                line=line,
                description=str(item.get("description", "")),
                psycopg_sql=converted.psycopg_sql.strip(),
                param_order=converted.names,
                positional_sql=converted.positional_sql.strip(),
            )
        )
    return tuple(out)


def _param_source(where: str, key: str, raw: Any) -> ParamSource:
    if not isinstance(raw, dict):
        return ParamSource(kind="literal", literal=raw)
    if "values" in raw:
        return ParamSource(kind="values", values=tuple(raw["values"]))
    if "sample" in raw:
        table, column = str(raw["sample"]).split(".", 1)
        return ParamSource(
            kind="sample", table=table, column=column, where=raw.get("where"), pick=raw.get("pick", "rows"),
            group=str(raw["from"]) if raw.get("from") is not None else None,
        )
    if "sql" in raw:
        return ParamSource(kind="sql", sql=str(raw["sql"]))
    raise WorkloadError(f"{where}: params.{key}: unknown parameter source")
