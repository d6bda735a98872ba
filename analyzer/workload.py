"""Load a workload file (YAML) into frozen dataclasses, validated once at the border.

Every error names the file, the line and the key or query, in one line. Nothing
downstream handles the raw YAML mapping.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from analyzer.checks import CheckThresholds, Expectations, parse_expectations, parse_thresholds
from analyzer.errors import WorkloadError
from analyzer.sqlguard import SqlRejected, check_schema, classify, require_read, require_write, safe_filter
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
    modifies_data: bool = False  # parsed at load: INSERT/UPDATE/DELETE/MERGE, a data-modifying CTE, FOR UPDATE
    path: str = ""  # the workload file, so errors found later still name file:line
    steps: tuple[Statement, ...] = ()  # a write in `steps:` form: run in this order, one parameter set for all
    calls: int | None = None  # executions per measured run of the write mix (None: shared by weight)

    @property
    def location(self) -> str:
        """`file:line: query 'name'`, the prefix of every message about this statement."""
        return f"{self.path}:{self.line}: query '{self.name}'" if self.path else f"query '{self.name}'"


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
    schemas: tuple[str, ...] | None = None  # the schemas it covers; None: every user schema

    def where(self, detail: str) -> str:
        """A location prefix for error messages about this workload."""
        return f"{self.path}: {detail}"


_PLANNER_PINS = {"jit": "off", "max_parallel_workers_per_gather": "0"}


def load_workload(path: str | Path) -> Workload:
    """Read, validate and convert a workload file; raise WorkloadError naming the problem."""
    path = Path(path)
    text = _read_text(path)
    try:
        root_node = yaml.compose(text, Loader=yaml.SafeLoader)
        _refuse_alias_bombs(path, root_node)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise WorkloadError(f"{where}: malformed YAML: {problem}") from None
    except RecursionError:
        raise WorkloadError(f"{path}: YAML nested too deeply") from None
    if not isinstance(data, dict):
        raise WorkloadError(f"{path}: a workload file is a mapping with at least 'name' and 'queries'")
    lines = _line_index(root_node)
    _validate_schema(path, data, lines)
    return _build(path, data, lines)


MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_YAML_NODES = 200_000  # nodes after aliases are expanded: a billion-laughs file is refused at once


def _read_text(path: Path) -> str:
    try:
        if path.is_dir():
            raise WorkloadError(f"{path}: is a directory, not a workload file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise WorkloadError(f"{path}: {path.stat().st_size:,} bytes is too large for a workload file")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WorkloadError(f"{path}: no such workload file") from None
    except UnicodeDecodeError as e:
        raise WorkloadError(f"{path}: not UTF-8 text (byte {e.start}): a workload file is YAML") from None
    except OSError as e:
        raise WorkloadError(f"{path}: cannot read: {e.strerror}") from None


def _refuse_alias_bombs(path: Path, root: Any) -> None:
    """Count the nodes the document expands to, each alias counted as what it repeats.

    Aliases share node objects, so the count is memoized by identity: linear in the file,
    whatever it would expand to. A node that contains itself is refused too.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Any) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise WorkloadError(f"{path}:{node.start_mark.line + 1}: malformed YAML: an alias refers to itself")
        active.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        active.discard(key)
        sizes[key] = total
        if total > MAX_YAML_NODES:
            raise WorkloadError(
                f"{path}:{node.start_mark.line + 1}: YAML aliases expand to more than {MAX_YAML_NODES:,} nodes; "
                "refused (write the values out)"
            )
        return total

    if root is not None:
        size(root)


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
    raise WorkloadError(f"{path}:{line}: {describe_location(data, loc)}: {message}")


def _friendly(error: jsonschema.ValidationError, data: Mapping[str, Any]) -> str:
    if error.validator == "additionalProperties":
        extra = re.findall(r"'([^']+)' was unexpected", error.message)
        allowed = list(error.schema.get("properties", {}))
        if extra:
            close = difflib.get_close_matches(extra[0], allowed, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(allowed)})"
            return f"unknown key '{extra[0]}'{hint}"
    if error.validator == "pattern" and error.absolute_path and error.absolute_path[-1] == "sample":
        return f"sample is table.column (got {error.instance!r})"
    if error.validator == "maxLength":
        return f"{str(error.instance)[:40]!r}... is too long (at most {error.validator_value} characters)"
    if error.validator == "required":
        return str(error.message).replace("is a required property", "is required")
    if error.validator == "oneOf" and error.absolute_path and "params" in error.absolute_path:
        return (
            "a parameter is a literal, {values: [...]}, {sample: table.column[, where, pick]} "
            "or {sql: 'SELECT ...'}"
        )
    return str(error.message).splitlines()[0]


def describe_location(data: Mapping[str, Any], loc: tuple[Any, ...]) -> str:
    """A key path as a reader names it: `queries['q'].params.x` (list items by their name)."""
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
    if schema_sql is not None:
        _check_schema_sql(path, data.get("schema"), schema_sql, lines)
    scale_value = float(data.get("scale", 1.0))
    if not math.isfinite(scale_value):
        raise WorkloadError(f"{path}:{lines.get(('scale',), 1)}: scale: {scale_value} is not a finite number")
    _check_numbers(path, data, lines)
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
    writes = _writes(path, data.get("writes", []), lines)
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
        scale=scale_value,
        tables=tables,
        queries=queries,
        writes=writes,
        replay=replay,
        thresholds=thresholds,
        schemas=tuple(str(x) for x in data["schemas"]) if data.get("schemas") else None,
    )


# Settings a workload may not change: they would undo what keeps the run read-only and itself.
_PROTECTED_SETTINGS = {
    "role", "session_authorization", "default_transaction_read_only", "transaction_read_only",
    "default_transaction_isolation", "transaction_isolation", "application_name", "session_replication_role",
    "search_path", "lock_timeout", "idle_in_transaction_session_timeout", "allow_system_table_mods",
}
MAX_STATEMENT_TIMEOUT_S = 2_147_483  # PostgreSQL's statement_timeout is an int of milliseconds


def _check_numbers(path: Path, data: Mapping[str, Any], lines: dict[tuple[Any, ...], int]) -> None:
    """Numbers JSON Schema lets through (NaN, infinity, negative seeds) and settings that are not the workload's."""
    seed = data.get("seed")
    if isinstance(seed, int) and not isinstance(seed, bool) and not 0 <= seed < 2**63:
        raise WorkloadError(f"{path}:{lines.get(('seed',), 1)}: seed: {seed} is not a whole number from 0 to 2**63-1")
    for section in ("queries", "writes"):
        for i, item in enumerate(data.get(section) or []):
            weight = item.get("weight") if isinstance(item, dict) else None
            if isinstance(weight, float) and not math.isfinite(weight):
                raise WorkloadError(f"{path}:{lines.get((section, i, 'weight'), 1)}: weight: {weight} is not finite")
    replay = data.get("replay") or {}
    for key in ("budget_s", "statement_timeout_s"):
        value = replay.get(key)
        if isinstance(value, float) and not math.isfinite(value):
            raise WorkloadError(f"{path}:{lines.get(('replay', key), 1)}: replay.{key}: {value} is not finite")
    timeout = replay.get("statement_timeout_s")
    if isinstance(timeout, (int, float)) and timeout > MAX_STATEMENT_TIMEOUT_S:
        raise WorkloadError(f"{path}:{lines.get(('replay', 'statement_timeout_s'), 1)}: replay.statement_timeout_s: "
                            f"at most {MAX_STATEMENT_TIMEOUT_S:,} seconds")
    for name in (replay.get("settings") or {}):
        if str(name).lower() in _PROTECTED_SETTINGS:
            raise WorkloadError(f"{path}:{lines.get(('replay', 'settings', name), 1)}: replay.settings.{name}: "
                                "the tool sets this itself (it keeps the run read-only and recognizable)")


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
        except UnicodeDecodeError:
            line = lines.get(("schema",), 1)
            raise WorkloadError(f"{path}:{line}: schema: {text.strip()} is not UTF-8 text") from None
        except OSError:
            line = lines.get(("schema",), 1)
            raise WorkloadError(f"{path}:{line}: schema: cannot read {text.strip()}") from None
    return text


def _check_schema_sql(path: Path, value: Any, schema_sql: str, lines: dict[tuple[Any, ...], int]) -> None:
    """Refuse a schema that would reach beyond its database (roles, tablespaces, ALTER SYSTEM...)."""
    problems = check_schema(schema_sql)
    if not problems:
        return
    line, what = problems[0]
    text = str(value).strip()
    if "\n" not in text and text.endswith(".sql"):
        where = f"{(path.parent / text).resolve()}:{line}"
    else:
        where = f"{path}:{lines.get(('schema',), 0) + line}"
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    raise WorkloadError(
        f"{where}: schema: {what}: not run, it would change the server beyond the database{more}"
    )


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
        modifies = _guard_statement(where, section, converted.positional_sql, bool(item.get("modifies_data", False)))
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
                modifies_data=modifies,
                path=str(path),
            )
        )
    return tuple(out)


def _writes(path: Path, items: list[Mapping[str, Any]], lines: dict[tuple[Any, ...], int]) -> tuple[Statement, ...]:
    """The `writes:` section: plain statements, or `steps:` run in order in one transaction.

    A write in `steps:` form is one Statement whose `steps` are the statements in order; its
    own SQL is theirs joined, so everything that reads a write's tables sees all of them.
    Parameters are declared once for the write and shared by its steps.
    """
    parsed = _statements(path, [_write_header(item) for item in items], "writes", lines)
    out: list[Statement] = []
    for item, stmt in zip(items, parsed):
        calls = int(item["calls"]) if "calls" in item else None
        if "steps" not in item:
            out.append(replace(stmt, calls=calls))
            continue
        out.append(_steps_write(path, item, stmt, calls, lines))
    return tuple(out)


def _write_header(item: Mapping[str, Any]) -> Mapping[str, Any]:
    """The item as a plain statement: a steps write checked (name, weight, expect) as its first step."""
    plain = {k: v for k, v in item.items() if k not in ("steps", "calls")}
    if "steps" not in item:
        return plain
    first = item["steps"][0]
    text = str(first["sql"] if isinstance(first, dict) else first)
    try:
        names = set(convert_named_params(text).names)
    except ValueError:
        names = set()
    params = {k: v for k, v in (item.get("params") or {}).items() if k in names}
    return plain | {"sql": text, "params": params}


def _steps_write(path: Path, item: Mapping[str, Any], stmt: Statement, calls: int | None,
                 lines: dict[tuple[Any, ...], int]) -> Statement:
    where = f"{path}:{stmt.line}: write '{stmt.name}'"
    params = {key: _param_source(where, key, raw) for key, raw in (item.get("params") or {}).items()}
    steps: list[Statement] = []
    used: set[str] = set()
    for i, raw in enumerate(item["steps"]):
        text = str(raw["sql"] if isinstance(raw, dict) else raw)
        try:
            converted = convert_named_params(text)
        except ValueError as e:
            raise WorkloadError(f"{where}: steps[{i}]: {e}") from None
        _guard_statement(f"{where}: steps[{i}]", "writes", converted.positional_sql, True)
        missing = [p for p in converted.names if p not in params]
        if missing:
            raise WorkloadError(f"{where}: steps[{i}] uses :{missing[0]} but params does not define it")
        used |= set(converted.names)
        steps.append(replace(
            stmt, name=f"{stmt.name}[{i + 1}]", sql=text.strip(), params={k: params[k] for k in converted.names},
            psycopg_sql=converted.psycopg_sql.strip(), param_order=converted.names,
            positional_sql=converted.positional_sql.strip(),
        ))
    unused = [p for p in params if p not in used]
    if unused:
        raise WorkloadError(f"{where}: params.{unused[0]} is not used by any step (write it as :{unused[0]})")
    return replace(
        stmt, sql=";\n".join(s.sql for s in steps), params=params, steps=tuple(steps), calls=calls,
        psycopg_sql=";\n".join(s.psycopg_sql for s in steps), param_order=tuple(params),
        positional_sql=";\n".join(s.positional_sql for s in steps),
    )


def _guard_statement(where: str, section: str, positional_sql: str, declared_write: bool) -> bool:
    """Exactly one statement of the kind its place allows; True when it modifies data."""
    try:
        if section == "writes":
            require_write(positional_sql)
            return True
        parsed = classify(positional_sql)
    except SqlRejected as e:
        raise WorkloadError(f"{where}: sql {e}") from None
    if parsed.kind == "write" and not declared_write:
        raise WorkloadError(
            f"{where}: sql modifies data or locks rows; declare it with `modifies_data: true` (it then runs only "
            "where writes are allowed, rolled back) or move it under writes:"
        )
    return parsed.kind == "write"


def _param_source(where: str, key: str, raw: Any) -> ParamSource:
    if not isinstance(raw, dict):
        return ParamSource(kind="literal", literal=raw)
    if "values" in raw:
        return ParamSource(kind="values", values=tuple(raw["values"]))
    if "sample" in raw:
        table, _, column = str(raw["sample"]).rpartition(".")
        if not table or not column:
            raise WorkloadError(f"{where}: params.{key}: sample is table.column")
        filter_sql = None
        if raw.get("where") is not None:
            try:
                filter_sql = safe_filter(str(raw["where"]))
            except SqlRejected as e:
                raise WorkloadError(f"{where}: params.{key}: {e}") from None
        return ParamSource(kind="sample", table=table, column=column, where=filter_sql, pick=raw.get("pick", "rows"),
                           group=str(raw["from"]) if raw.get("from") is not None else None)
    if "sql" in raw:
        text = str(raw["sql"]).strip()
        try:
            require_read(text)
        except SqlRejected as e:
            raise WorkloadError(f"{where}: params.{key}: sql {e}") from None
        return ParamSource(kind="sql", sql=text)
    raise WorkloadError(f"{where}: params.{key}: unknown parameter source")
