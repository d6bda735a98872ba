"""`pg-analyzer check`: every mistake of a workload file at once, each with its file:line, without a server.

The loader stops at the first error, which is right for a run but slow to fix by: this walks
the whole file and collects. It checks the YAML against the JSON Schema, every seeding rule
against the schema's tables and columns, every statement (parsed with pglast, its tables and
columns resolved against the DDL or a live catalog) and every parameter and its source. When
all that passes, the loader runs too, so `check` is never laxer than loading the file in `run`.
"""

from __future__ import annotations

import difflib
import json
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pglast
import yaml

from analyzer.catalog import Catalog
from analyzer.errors import AnalyzerError, WorkloadError
from analyzer.seeding.rules import Rule, parse_rule
from analyzer.sqlparams import convert_named_params
from analyzer.validate.ddl import DdlError, catalog_from_ddl
from analyzer.validate.names import NameProblem, resolve_expression, resolve_statement
from analyzer.workload import describe_location

TEXT_STYLES = ("sentence", "title", "paragraph", "word")
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: the same marks, ten times faster


@dataclass(frozen=True)
class Problem:
    """One mistake: where it is and what is wrong, in one line."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line > 0 else f"{self.path}: {self.message}"


@dataclass
class CheckResult:
    """Every problem found, the time it took and what was checked."""

    path: Path
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    statements: int = 0
    tables: int = 0
    catalog_source: str = "none"  # "ddl", "server" or "none"

    @property
    def ok(self) -> bool:
        return not self.problems


class _Lines:
    """Every key path of the YAML document with its line and value node."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.lines: dict[tuple[Any, ...], int] = {}
        self.nodes: dict[tuple[Any, ...], yaml.Node] = {}
        self._walk(root, ())

    def _walk(self, node: yaml.Node | None, prefix: tuple[Any, ...]) -> None:
        if node is None:
            return
        self.lines.setdefault(prefix, node.start_mark.line + 1)
        self.nodes[prefix] = node
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                self.lines[prefix + (key_node.value,)] = key_node.start_mark.line + 1
                self._walk(value_node, prefix + (key_node.value,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, prefix + (i,))

    def line(self, *loc: Any) -> int:
        key = tuple(loc)
        while key and key not in self.lines:
            key = key[:-1]
        return self.lines.get(key, 1)

    def sql_line(self, loc: tuple[Any, ...], sql: str, offset: int) -> int:
        """The file line of a character offset inside a SQL scalar (block scalars start a line below)."""
        node = self.nodes.get(loc)
        base = self.line(*loc)
        if isinstance(node, yaml.ScalarNode):
            base = node.start_mark.line + 1 + (1 if node.style in ("|", ">") else 0)
        return base + sql[: max(0, offset)].count("\n")


class _Checker:
    def __init__(self, path: Path, data: Mapping[str, Any], lines: _Lines, catalog: Catalog | None) -> None:
        self.path = path
        self.data = data
        self.lines = lines
        self.catalog = catalog
        self.problems: list[Problem] = []

    def add(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    # --- the JSON Schema --------------------------------------------------------------
    def schema(self) -> None:
        text = resources.files("analyzer").joinpath("schema/workload.schema.json").read_text("utf-8")
        validator = jsonschema.Draft202012Validator(json.loads(text))
        for error in sorted(validator.iter_errors(self.data), key=lambda e: [str(p) for p in e.absolute_path]):
            loc = tuple(error.absolute_path)
            extra = re.findall(r"'([^']+)' was unexpected", error.message)
            if error.validator == "additionalProperties" and extra:
                allowed = list(error.schema.get("properties", {}))
                for key in extra:
                    close = difflib.get_close_matches(key, allowed, n=1)
                    hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(allowed)})"
                    self.add(self.lines.line(*loc, key), f"{describe_location(self.data, loc)}: unknown key '{key}'{hint}")
                continue
            if error.validator == "oneOf" and "params" in loc:
                message = ("a parameter is a literal, {values: [...]}, {sample: table.column[, where, pick]} "
                           "or {sql: 'SELECT ...'}")
            elif error.validator == "required":
                message = str(error.message).replace("is a required property", "is required")
            else:
                message = str(error.message).splitlines()[0]
            self.add(self.lines.line(*loc), f"{describe_location(self.data, loc)}: {message}")

    # --- the schema's DDL -------------------------------------------------------------
    def ddl(self) -> str | None:
        value = self.data.get("schema")
        if value is None:
            return None
        text = str(value)
        line = self.lines.line("schema")
        if "\n" not in text.strip() and text.strip().endswith(".sql"):
            sql_path = self.path.parent / text.strip()
            try:
                return sql_path.read_text(encoding="utf-8")
            except OSError:
                self.add(line, f"schema: cannot read {text.strip()}")
                return None
        return text

    def load_catalog(self) -> None:
        if self.catalog is not None:
            return
        ddl = self.ddl()
        if ddl is None:
            return
        try:
            self.catalog = catalog_from_ddl(ddl)
        except DdlError as e:
            schema = str(self.data.get("schema", "")).strip()
            where = f"schema ({schema})" if schema.endswith(".sql") else "schema"
            at = f" at line {ddl[: e.location].count(chr(10)) + 1}" if e.location is not None else ""
            self.add(self.lines.line("schema"), f"{where}: SQL syntax error{at}: {e}")

    # --- seeding rules ----------------------------------------------------------------
    def tables(self) -> None:
        tables = self.data.get("tables")
        if not isinstance(tables, Mapping):
            return
        for name, rule in tables.items():
            if not isinstance(rule, Mapping):
                continue
            line = self.lines.line("tables", name)
            table = self.catalog.table(str(name)) if self.catalog is not None else None
            if self.catalog is not None and table is None:
                self.add(line, f"tables.{name}: no such table in the schema{_did_you_mean(str(name), self.catalog.tables)}")
            columns = rule.get("columns")
            for column, raw in (columns.items() if isinstance(columns, Mapping) else ()):
                where_line = self.lines.line("tables", name, "columns", column)
                self.column_rule(str(name), str(column), raw, where_line, table is not None)

    def column_rule(self, table: str, column: str, raw: Any, line: int, known_table: bool) -> None:
        try:
            rule = parse_rule(table, column, raw)
        except AnalyzerError as e:
            self.add(line, str(e))
            return
        except (TypeError, ValueError) as e:
            self.add(line, f"tables.{table}.columns.{column}: {e}")
            return
        if self.catalog is not None and known_table and self.catalog.tables[table].columns:
            t = self.catalog.tables[table]
            col = t.column(column)
            if col is None:
                names = [c.name for c in t.columns]
                self.add(line, f"tables.{table}.columns.{column}: no such column{_did_you_mean(column, names)}")
            elif col.generated and rule.kind != "default":
                self.add(line, f"{rule.where}: a generated column is computed by the server and cannot be seeded")
        for sub in _sub_rules(rule):
            self.generator(sub, line)

    def generator(self, rule: Rule, line: int) -> None:
        """What the generators would reject only once they reach the table: text styles, Faker providers, refs."""
        if rule.kind == "text" and str(rule.arg or "sentence") not in TEXT_STYLES:
            self.add(line, f"{rule.where}: text takes {', '.join(TEXT_STYLES)}, not '{rule.arg}'"
                     f"{_did_you_mean(str(rule.arg), TEXT_STYLES)}")
        elif rule.kind == "faker":
            provider = str(rule.arg)
            if provider.startswith("_") or not callable(getattr(_faker(), provider, None)):
                names = [m for m in dir(_faker()) if not m.startswith("_")]
                self.add(line, f"{rule.where}: unknown Faker provider '{provider}'{_did_you_mean(provider, names)}")
        elif rule.kind == "ref" and self.catalog is not None:
            target, _, column = str(rule.arg).rpartition(".") if "." in str(rule.arg) else (str(rule.arg), "", "")
            t = self.catalog.table(target)
            if t is None:
                self.add(line, f"{rule.where}: references {rule.arg}, but table {target} does not exist"
                         f"{_did_you_mean(target, self.catalog.tables)}")
            elif column and t.columns and t.column(column) is None:
                self.add(line, f"{rule.where}: references {rule.arg}, but {target} has no column {column}"
                         f"{_did_you_mean(column, [c.name for c in t.columns])}")
            elif t.columns:
                for name in dict(rule.options.get("match_top") or {}):
                    if t.column(str(name)) is None:
                        self.add(line, f"{rule.where}: match_top names {target}.{name}, which does not exist"
                                 f"{_did_you_mean(str(name), [c.name for c in t.columns])}")

    # --- statements and their parameters ---------------------------------------------
    def statements(self) -> int:
        count = 0
        for section in ("queries", "writes"):
            items = self.data.get(section)
            seen: set[str] = set()
            for i, item in enumerate(items if isinstance(items, list) else ()):
                if not isinstance(item, Mapping) or "sql" not in item:
                    continue
                count += 1
                name = str(item.get("name", f"#{i + 1}"))
                label = f"{'query' if section == 'queries' else 'write'} '{name}'"
                if name in seen:
                    self.add(self.lines.line(section, i, "name"), f"{label}: the name is used twice")
                seen.add(name)
                self.statement(section, i, label, item)
        return count

    def statement(self, section: str, i: int, label: str, item: Mapping[str, Any]) -> None:
        raw_sql = str(item["sql"])
        loc = (section, i, "sql")
        try:
            converted = convert_named_params(raw_sql)
        except ValueError as e:
            self.add(self.lines.line(*loc), f"{label}: sql: {e}")
            return
        params = item.get("params") if isinstance(item.get("params"), Mapping) else {}
        assert isinstance(params, Mapping)
        declared = [str(k) for k in params]
        for used in converted.names:
            if used not in declared:
                at = raw_sql.find(":" + used)
                self.add(self.lines.sql_line(loc, raw_sql, at),
                         f"{label}: sql uses :{used} but params does not define it{_did_you_mean(used, declared)}")
        for key in declared:
            if key not in converted.names:
                self.add(self.lines.line(section, i, "params", key),
                         f"{label}: params.{key} is not used in the sql (write it as :{key})"
                         f"{_did_you_mean(key, converted.names)}")
        self.sql(label, converted.positional_sql, loc, raw_sql, whole_statement=True)
        for key, source in params.items():
            self.param_source(label, section, i, str(key), source)

    def sql(self, label: str, positional: str, loc: tuple[Any, ...], raw: str, whole_statement: bool) -> None:
        try:
            tree = pglast.parse_sql(positional)
        except pglast.parser.ParseError as e:
            offset = int(e.args[1]) if len(e.args) > 1 else 0
            self.add(self.lines.sql_line(loc, raw, offset), f"{label}: SQL syntax error: {e.args[0]}")
            return
        if whole_statement and len(tree) != 1:
            self.add(self.lines.line(*loc), f"{label}: sql holds {len(tree)} statements; a query is exactly one")
        if self.catalog is not None:
            for p in resolve_statement(positional, self.catalog):
                self.name_problem(label, p, loc, raw)

    def name_problem(self, label: str, p: NameProblem, loc: tuple[Any, ...], raw: str) -> None:
        hint = f" (HINT: {p.hint})" if p.hint else ""
        self.add(self.lines.sql_line(loc, raw, p.location), f"{label}: {p.message}{hint}")

    def param_source(self, label: str, section: str, i: int, key: str, source: Any) -> None:
        if not isinstance(source, Mapping):
            return
        loc = (section, i, "params", key)
        where = f"{label}: params.{key}"
        if "sql" in source:
            raw = str(source["sql"])
            self.sql(where, raw, loc + ("sql",), raw, whole_statement=True)
            return
        if "sample" not in source:
            return
        table, dot, column = str(source["sample"]).rpartition(".")
        if not dot:
            return  # the JSON Schema said so
        line = self.lines.line(*loc, "sample")
        if self.catalog is None:
            return
        t = self.catalog.table(table)
        if t is None:
            self.add(line, f"{where}: sample names table {table}, which does not exist"
                     f"{_did_you_mean(table, self.catalog.tables)}")
            return
        if t.columns and t.column(column) is None:
            self.add(line, f"{where}: sample names column {table}.{column}, which does not exist"
                     f"{_did_you_mean(column, [c.name for c in t.columns])}")
        if source.get("where"):
            expression = str(source["where"])
            try:
                problems = resolve_expression(expression, table, self.catalog)
            except pglast.parser.ParseError as e:
                self.add(self.lines.line(*loc, "where"), f"{where}.where: SQL syntax error: {e.args[0]}")
                return
            for p in problems:
                self.name_problem(f"{where}.where", p, loc + ("where",), expression)

    # --- the loader, once everything above passed (the seeding planner runs in `run`) --
    def loader(self) -> None:
        from analyzer.workload import load_workload

        try:
            load_workload(self.path)
        except AnalyzerError as e:
            line, message = _split_location(str(e), self.path)
            self.add(line, message)


def check_workload(path: str | Path, catalog: Catalog | None = None) -> CheckResult:
    """Check a workload file against its DDL (or `catalog`, read from a server) and return every problem."""
    started = time.perf_counter()
    path = Path(path)
    result = CheckResult(path=path)
    # the loader's own guards against hostile files (size, encoding, alias bombs) come first
    from analyzer.workload import _read_text, _refuse_alias_bombs

    try:
        text = _read_text(path)
        root = yaml.compose(text, Loader=_LOADER)
        _refuse_alias_bombs(path, root)
        data = yaml.load(text, Loader=_LOADER)
    except WorkloadError as e:
        line, message = _split_location(str(e), path)
        result.problems.append(Problem(path, line, message))
        return result
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        result.problems.append(Problem(path, mark.line + 1 if mark else 1, f"malformed YAML: {problem}"))
        return result
    except RecursionError:
        result.problems.append(Problem(path, 0, "YAML nested too deeply"))
        return result
    if not isinstance(data, dict):
        result.problems.append(Problem(path, 1, "a workload file is a mapping with at least 'name' and 'queries'"))
        return result
    checker = _Checker(path, data, _Lines(root), catalog)
    result.catalog_source = "server" if catalog is not None else "none"
    checker.schema()
    checker.load_catalog()
    if catalog is None and checker.catalog is not None:
        result.catalog_source = "ddl"
    checker.tables()
    result.statements = checker.statements()
    result.tables = len(data.get("tables") or {}) if isinstance(data.get("tables"), Mapping) else 0
    if not checker.problems:
        checker.loader()
    result.problems = sorted(dict.fromkeys(checker.problems), key=lambda p: p.line)
    result.seconds = time.perf_counter() - started
    return result


def raise_for_problems(result: CheckResult) -> None:
    """`run` checks first: stop with every problem (one per line) before any server starts."""
    if result.problems:
        if len(result.problems) == 1:
            raise WorkloadError(str(result.problems[0]))
        lines = "\n".join(f"  {p}" for p in result.problems)
        raise WorkloadError(f"{result.path}: {len(result.problems)} problems:\n{lines}")


def _sub_rules(rule: Rule) -> Iterator[Rule]:
    yield rule
    if rule.kind == "json" and isinstance(rule.arg, Mapping):
        for sub in rule.arg.values():
            yield from _sub_rules(sub)
    if rule.kind == "array" and isinstance(rule.arg, Rule):
        yield from _sub_rules(rule.arg)


_FAKER: list[Any] = []


def _faker() -> Any:
    """One Faker instance to ask for providers (building it is the slowest step of a check)."""
    if not _FAKER:
        from faker import Faker

        _FAKER.append(Faker())
    return _FAKER[0]


def _did_you_mean(name: str, known: Any) -> str:
    close = difflib.get_close_matches(name, [str(k) for k in known], n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _split_location(message: str, path: Path) -> tuple[int, str]:
    """'w.yaml:12: detail' (as the loader words it) -> (12, 'detail'); no line number: 0."""
    prefix = f"{path}:"
    if message.startswith(prefix):
        rest = message[len(prefix):]
        number, _, detail = rest.partition(":")
        if number.strip().isdigit():
            return int(number), detail.strip()
        return 0, rest.strip()
    return 0, message
