"""Column rules inferred from the catalog and from names, the way a DBA reads a schema.

Types, domains, enums, CHECKs, partition bounds, defaults and foreign keys say what values are
allowed; column names say what the values mean (`*_at` times along a lifecycle, `deleted_at`
mostly NULL, money, e-mails, currencies, time zones, tenant keys). A declared rule always wins.
No database access here: it takes the catalog and returns rules.
"""

from __future__ import annotations

import re
import zlib
import zoneinfo
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from analyzer.catalog import Catalog, Column, Table
from analyzer.errors import SeedError
from analyzer.seeding.check_forms import CheckFacts, ColumnFacts, analyze_checks
from analyzer.seeding.generators import DEFAULT_END, DEFAULT_START, vocabulary
from analyzer.seeding.ranges import RANGE_TYPES
from analyzer.seeding.rules import Rule

INT_TYPES = {"smallint": (-(2**15), 2**15 - 1), "integer": (-(2**31), 2**31 - 1), "bigint": (-(2**63), 2**63 - 1)}
_TIME_DEFAULTS = ("now()", "current_timestamp", "current_date", "clock_timestamp()", "statement_timestamp()",
                  "transaction_timestamp()", "localtimestamp", "timezone(")
_UUID_DEFAULTS = ("gen_random_uuid()", "uuidv7()", "uuidv4()", "uuid_generate_v4()", "uuid_generate_v1()")

# Lifecycle stages of time columns, by the verb in their name: a later stage happens after an earlier one.
_STAGES: tuple[tuple[int, tuple[str, ...]], ...] = (
    (0, ("creat", "insert", "regist", "signup", "signed_up", "join", "open", "submit", "request", "order",
         "book", "plac", "issu", "rent", "enrol", "invit", "import", "receiv", "record", "log", "occur", "event")),
    (1, ("start", "begin", "accept", "approv", "confirm", "assign", "schedul", "publish", "activ", "verif",
         "pay", "paid", "process", "ship", "sent", "send", "dispatch", "bill", "charg", "invoic", "check_in", "checkin")),
    (2, ("deliver", "return", "complet", "finish", "end", "clos", "resolv", "stop", "cancel", "expir", "due",
         "check_out", "checkout", "refund", "fail", "done", "termin", "suspend", "revok")),
    (3, ("updat", "modif", "chang", "touch", "sync", "edit", "last_")),
    (4, ("delet", "discard", "archiv", "destroy", "remov", "purg", "trash")),
)
_AFTER_SPANS = {1: ("1m", "7d"), 2: ("1h", "14d"), 3: ("1m", "365d"), 4: ("1d", "365d")}
_SOFT_DELETE = re.compile(r"^(deleted|discarded|archived|destroyed|removed|purged|trashed)(_at|_on|_date)?$")
_PERSON_TABLES = re.compile(r"(user|customer|person|people|employee|staff|actor|author|member|contact|"
                            r"patient|student|teacher|driver|client|account_holder|owner|manager|admin)")
_COMPANY_TABLES = re.compile(r"(compan|organi[sz]ation|tenant|vendor|supplier|merchant|business|partner|brand|team)")
_MONEY = re.compile(r"(amount|price|cost|total|balance|fee|salary|tax|subtotal|discount|revenue|charge|"
                    r"payment|paid|refund|budget|spend|wage|credit|debit|rate$|_rate)")
_BOOL_INT = re.compile(r"^(is_|has_|can_|should_)|^(active|enabled|disabled|deleted|archived|verified|visible|"
                       r"published|locked|blocked|confirmed|flag|flagged|hidden|primary|default)$")
_INT_ENUM = re.compile(r"(status|state|kind|type|role|level|tier|stage|category|mode|source|channel)$")


@dataclass
class Inference:
    """The rules of one table's columns and what the report should say about them."""

    rules: dict[str, Rule]
    notes: list[str] = field(default_factory=list)


def infer_table(table: Table, catalog: Catalog, declared: dict[str, Rule], seeded: set[str]) -> Inference:
    """Rules for every written column of `table`: declared ones as given, the others inferred."""
    facts = analyze_checks(
        [(c.name, c.definition, None) for c in table.constraints if c.kind == "c"]
        + [(f"{col.type} (domain of {table.name}.{col.name})", d, col.name) for col in table.columns for d in col.domain_checks]
    )
    notes: list[str] = []
    rules: dict[str, Rule] = {}
    partition_ranges = _partition_values(table)
    for column in table.columns:
        if column.generated:
            continue
        if column.name in declared:
            rules[column.name] = declared[column.name]
            continue
        rule = _infer_column(table, catalog, column, seeded, notes)
        if rule is None:
            continue
        rule = _apply_facts(rule, column, facts.columns.get(column.name))
        if column.name in partition_ranges:
            rule = _within_partitions(rule, column, partition_ranges[column.name])
        rules[column.name] = rule
    _lifecycle(table, rules, declared, set(partition_ranges))
    _tenant_copies(table, catalog, rules, declared, seeded)
    owned = {c.name: set(c.columns) for c in table.constraints if c.kind == "c"}
    facts.unsupported = [(n, d) for n, d in facts.unsupported if not (owned.get(n) and owned[n] <= set(declared))]
    _multi_column_facts(table, rules, declared, facts)
    return Inference(rules, notes)


# --- one column --------------------------------------------------------------------------------


def _infer_column(table: Table, catalog: Catalog, column: Column, seeded: set[str], notes: list[str]) -> Rule | None:
    name, t = column.name, column.storage_type
    nf = 0.0 if column.not_null else 0.1
    unique = any(u == (name,) for u in table.unique_sets)
    fk = next((f for f in table.foreign_keys if f.columns[0] == name), None)
    if fk is not None:
        if fk.ref_table not in seeded and fk.ref_table != table.name and not column.not_null:
            notes.append(f"{table.name}.{name}: NULL (references {fk.ref_table}, which this workload does not seed)")
            return Rule(table.name, name, "value", None)
        return Rule(table.name, name, "ref", f"{fk.ref_table}.{fk.ref_columns[0]}",
                    null_fraction=0.0 if column.not_null else 0.2, unique=unique)
    fk = next((f for f in table.foreign_keys if name in f.columns[1:]), None)
    if fk is not None:
        parent_column = fk.ref_columns[fk.columns.index(name)]
        return Rule(table.name, name, "copy", f"{fk.columns[0]}.{parent_column}")
    default = (column.default or "").lower()
    if table.primary_key == (name,) or column.identity or default.startswith("nextval("):
        if t in INT_TYPES:
            return Rule(table.name, name, "sequence", {"start": 1})
        if t == "uuid":
            return Rule(table.name, name, "uuid", True, unique=True)
    if column.enum_labels and t.endswith("[]"):
        labels = column.enum_labels
        inner = Rule(table.name, name, "choice", (labels, _skewed(len(labels))))
        return Rule(table.name, name, "array", inner, null_fraction=nf, options={"length": [0, 3]})
    if column.enum_labels:
        return _enum_rule(table, column, nf)
    if name in table.primary_key and t in INT_TYPES:  # (tenant_id, id): the id part counts up
        return Rule(table.name, name, "sequence", {"start": 1})
    if column.check_values:
        values = tuple(column.check_values)
        return Rule(table.name, name, "choice", (values, _skewed(len(values))), null_fraction=nf)
    if t == "boolean":
        p = 0.5
        if default in ("true", "false"):
            p = 0.9 if default == "true" else 0.1
        return Rule(table.name, name, "bool", p, null_fraction=nf)
    if t == "uuid":
        return Rule(table.name, name, "uuid", True, null_fraction=nf, unique=unique)
    if t in INT_TYPES:
        return _int_rule(table, column, t, nf, unique, default)
    if t.startswith(("numeric", "double", "real", "money")):
        return _numeric_rule(table, column, t, nf, default)
    if t == "date" or t.startswith("timestamp"):
        kind = "date" if t == "date" else "timestamp"
        if re.search(r"(birth|dob)", name):
            return Rule(table.name, name, kind, {"start": "1945-01-01", "end": "2007-01-01"}, null_fraction=nf)
        nf_time = 0.95 if _SOFT_DELETE.match(name) and not column.not_null else nf
        return Rule(table.name, name, kind, {}, null_fraction=nf_time)
    if column.default is not None and not unique and not default.startswith(_TIME_DEFAULTS):
        return None  # a constant or computed default the server fills in
    if t.endswith("[]"):
        words = _tags(f"{table.name}.{name}")
        inner = Rule(table.name, name, "choice", (words, _skewed(len(words))))
        return Rule(table.name, name, "array", inner, null_fraction=nf, options={"length": [0, 3]})
    if t in ("json", "jsonb"):
        return Rule(table.name, name, "json", {"n": Rule(table.name, f"{name}.n", "int", {"min": 0, "max": 100})},
                    null_fraction=nf)
    if t == "tsvector":
        source = next((c.name for c in table.columns if c.name in ("title", "name", "subject", "description")), None)
        if source is not None:
            return Rule(table.name, name, "copy", source, null_fraction=nf)
        return Rule(table.name, name, "text", "sentence", null_fraction=nf)
    m = re.fullmatch(r"(?:public\.)?vector\((\d+)\)", t)
    if m:
        return Rule(table.name, name, "vector", int(m.group(1)), null_fraction=nf)
    if t == "interval":
        spans = ("00:05:00", "00:30:00", "01:00:00", "1 day", "7 days", "30 days", "1 year")
        return Rule(table.name, name, "choice", (spans, _skewed(len(spans))), null_fraction=nf)
    if t in RANGE_TYPES:
        return Rule(table.name, name, "range", {}, null_fraction=nf)
    if t.startswith("time") and not t.startswith("timestamp"):
        return Rule(table.name, name, "faker", "time", null_fraction=nf)
    if t in ("inet", "cidr"):
        return Rule(table.name, name, "faker", "ipv4", null_fraction=nf, unique=unique)
    if t == "macaddr":
        return Rule(table.name, name, "faker", "mac_address", null_fraction=nf, unique=unique)
    if t == "bytea" or not _is_text(t):
        if not column.not_null:
            return Rule(table.name, name, "value", None)
        if t == "bytea":
            return Rule(table.name, name, "faker", "md5", unique=unique)
        return Rule(table.name, name, "faker", "word", unique=unique)
    rule = _text_rule(table, column, nf, unique)
    m = re.search(r"\((\d+)\)$", t)
    if m:
        rule = replace(rule, options={**rule.options, "max_length": int(m.group(1))})
    return rule


def _tags(salt: str, count: int = 8) -> tuple[str, ...]:
    """A small fixed vocabulary of real words for array elements (tags, features), chosen by the column."""
    words = [w for w in vocabulary("en_US") if len(w) >= 5]
    start = zlib.crc32(salt.encode()) % max(1, len(words) - count)
    step = max(1, len(words) // (count * 3))
    return tuple(words[(start + i * step) % len(words)] for i in range(count))


def _is_text(t: str) -> bool:
    return t in ("text", "citext", "name") or t.startswith(("character varying", "character(", "varchar", "char"))


def _skewed(n: int) -> tuple[float, ...]:
    """Weights falling off like 1/k: every label is used, the first ones most."""
    raw = [1.0 / (k + 1) for k in range(n)]
    total = sum(raw)
    return tuple(w / total for w in raw)


def _enum_rule(table: Table, column: Column, nf: float) -> Rule:
    labels = list(column.enum_labels)
    m = re.match(r"'((?:[^']|'')*)'::", column.default or "")
    if m and m.group(1).replace("''", "'") in labels:  # the default label is the most common one
        first = m.group(1).replace("''", "'")
        labels.remove(first)
        labels.insert(0, first)
    return Rule(table.name, column.name, "choice", (tuple(labels), _skewed(len(labels))), null_fraction=nf)


def _number_default(default: str) -> float | None:
    m = re.fullmatch(r"\(?'?(-?\d+(?:\.\d+)?)'?\)?(?:::[\w\s]+(?:\(\d+(?:,\d+)?\))?)?", default.strip())
    return float(m.group(1)) if m else None


def _int_rule(table: Table, column: Column, t: str, nf: float, unique: bool, default: str) -> Rule:
    name = column.name.lower()
    tname = table.name.lower()
    lo, hi = 1, 1000
    distribution = "uniform"
    const = _number_default(default)
    if unique:
        lo, hi = 1, max(1000, 10 * max(table.rows_estimate, 1000))
    elif _BOOL_INT.search(name):
        return Rule(table.name, column.name, "choice", ((1, 0), (0.85, 0.15)), null_fraction=nf)
    elif const is not None:  # a constant default is the typical value: stay around it
        lo, hi = max(0, round(const / 3)), max(round(const * 2), round(const) + 3)
        distribution = "normal"
    elif re.search(r"year", name):
        lo, hi = 1970, 2026
    elif re.search(r"(count|quantity|qty|num_|_num$|number_of)", name):
        lo, hi, distribution = 1, 20, "zipf"
    elif re.search(r"(^age$|_age$)", name):
        lo, hi = 18, 90
    elif re.search(r"(length|duration|minutes|_mins?$)", name):
        lo, hi = (1, 240) if "length" in name or "minute" in name or "min" in name else (1, 30)
        distribution = "normal"
    elif re.search(r"(seconds|_secs?$|_ms$|millis)", name):
        lo, hi = 1, 3600
    elif re.search(r"(rating|score|stars)", name):
        lo, hi = 1, 5
    elif re.search(r"(priority|position|sort|rank|order|seq|index|idx)", name):
        lo, hi = 0, 100
    elif _INT_ENUM.search(name):
        return Rule(table.name, column.name, "choice", ((0, 1, 2, 3, 4), _skewed(5)), null_fraction=nf)
    elif "port" in name and "sport" not in tname:
        lo, hi = 1024, 65535
    tlo, thi = INT_TYPES[t]
    lo, hi = max(lo, tlo), min(hi, thi)
    options: dict[str, Any] = {}
    args: dict[str, Any] = {"min": lo, "max": hi}
    if distribution == "normal":
        return Rule(table.name, column.name, "int", args, null_fraction=nf, unique=unique,
                    distribution="normal", mean=float(const if const is not None else (lo + hi) / 2),
                    sd=(hi - lo) / 5, options=options)
    return Rule(table.name, column.name, "int", args, null_fraction=nf, unique=unique,
                distribution=distribution, s=1.3, options=options)


def _numeric_rule(table: Table, column: Column, t: str, nf: float, default: str) -> Rule:
    name = column.name.lower()
    m = re.search(r"numeric\((\d+),(\d+)\)", t)
    cap = 10.0 ** (int(m.group(1)) - int(m.group(2))) - 10.0 ** -int(m.group(2)) if m else None
    decimals = int(m.group(2)) if m else 2
    const = _number_default(default)
    if re.search(r"(lat$|latitude)", name):
        lo, hi, dist = -90.0, 90.0, "uniform"
    elif re.search(r"(lng$|lon$|longitude)", name):
        lo, hi, dist = -180.0, 180.0, "uniform"
    elif re.search(r"(percent|pct|ratio|share)", name):
        lo, hi, dist = 0.0, 100.0 if "percent" in name or "pct" in name else 1.0, "uniform"
    elif const is not None and const > 0:
        lo, hi, dist = round(const / 3, decimals), round(const * 2, decimals), "normal"
    elif _MONEY.search(name):
        lo, hi, dist = 0.99, 100.0, "zipf"
    else:
        lo, hi, dist = 0.0, 1000.0, "uniform"
    if cap is not None:
        hi = min(hi, cap)
        lo = min(lo, hi)
    if dist == "normal":
        return Rule(table.name, column.name, "numeric", {"min": lo, "max": hi}, null_fraction=nf,
                    distribution="normal", mean=const, sd=(hi - lo) / 5, options={"decimals": decimals})
    return Rule(table.name, column.name, "numeric", {"min": lo, "max": hi}, null_fraction=nf,
                distribution=dist, s=2.0, options={"decimals": decimals})


def _text_rule(table: Table, column: Column, nf: float, unique: bool) -> Rule:
    name = column.name.lower()
    tname = table.name.lower().rstrip("s")

    def faker(provider: str, null_fraction: float = nf) -> Rule:
        return Rule(table.name, column.name, "faker", provider, null_fraction=null_fraction, unique=unique)

    if "email" in name:
        return faker("email")
    if re.search(r"(time_?zone|^tz$|_tz$)", name):
        zones = tuple(sorted(zoneinfo.available_timezones()))
        return Rule(table.name, column.name, "choice", (zones, _skewed(len(zones))), null_fraction=nf)
    if re.search(r"currenc", name):
        return faker("currency_code")
    if re.search(r"(country_code|country_iso|^iso2$|^iso_code$|^country$)", name) and "code" in name:
        return faker("country_code")
    if re.search(r"(locale|language_code|lang$|^lang_)", name):
        return faker("locale")
    if "slug" in name:
        return faker("slug")
    if re.search(r"(url|website|homepage|link|href)", name):
        return faker("url")
    if re.search(r"(phone|mobile|fax|msisdn)", name):
        return faker("phone_number")
    if re.search(r"(first_?name|given_name)", name):
        return faker("first_name")
    if re.search(r"(last_?name|surname|family_name)", name):
        return faker("last_name")
    if re.search(r"(user_?name|login|handle|nickname)", name):
        return faker("user_name")
    if re.search(r"(password|passwd|digest|hash|token|secret)", name):
        return faker("sha256")
    if re.search(r"(postal|zip|postcode)", name):
        return faker("postcode")
    if re.search(r"(address2|address_2|address_line_2|secondary)", name):
        return faker("secondary_address", 0.0 if column.not_null else 0.7)
    if re.search(r"(address|street)", name):
        return faker("street_address")
    if re.search(r"(district|state|province|region|county)", name):
        return faker("state")
    if name == "city" or name.endswith("city") or (name == "name" and tname in ("city", "town")):
        return faker("city")
    if name == "country" or (name == "name" and tname == "country"):
        return faker("country")
    if name in ("language", "language_name") or (name == "name" and tname == "language"):
        return faker("language_name")
    if re.search(r"(ip_?address|^ip$|_ip$)", name):
        return faker("ipv4")
    if re.search(r"(colou?r)", name):
        return faker("color_name")
    if re.search(r"(company|organi[sz]ation|employer|vendor|supplier)", name):
        return faker("company")
    if re.search(r"(job|occupation|position)", name):
        return faker("job")
    if re.search(r"(file_?name|filename)", name):
        return faker("file_name")
    if re.search(r"(mime|content_type)", name):
        return faker("mime_type")
    if re.search(r"(full_?name|display_name|contact_name|person)", name):
        return faker("name")
    if name == "name":
        if _PERSON_TABLES.search(tname):
            return faker("name")
        if _COMPANY_TABLES.search(tname):
            return faker("company")
        return Rule(table.name, column.name, "text", "title", null_fraction=nf, unique=unique, options={"words": [1, 2]})
    if re.search(r"(title|subject|headline|label|caption|heading)", name):
        return Rule(table.name, column.name, "text", "title", null_fraction=nf, unique=unique)
    if re.search(r"(description|body|content|comment|note|bio|summary|message|text|details|remarks)", name):
        return Rule(table.name, column.name, "text", "sentence", null_fraction=nf, unique=unique)
    if re.search(r"(code|sku|ref|number|key)$", name):
        if unique:
            return faker("uuid4")
        return replace(faker("bothify", nf), options={"args": {"text": "??-#####"}})
    if _INT_ENUM.search(name):
        return Rule(table.name, column.name, "text", "word", null_fraction=nf, unique=unique, distinct=8,
                    distribution="zipf")
    return faker("word")


# --- constraints and partitions -----------------------------------------------------------------


def _apply_facts(rule: Rule, column: Column, facts: ColumnFacts | None) -> Rule:
    """Narrow an inferred rule to what the column's CHECKs allow."""
    if facts is None:
        return rule
    if facts.not_null:
        rule = replace(rule, null_fraction=0.0)
    if facts.values is not None:
        values = facts.values
        return replace(rule, kind="choice", arg=(values, _skewed(len(values))), distribution="uniform")
    if facts.low is not None or facts.high is not None:
        integer = column.storage_type in INT_TYPES
        step = 1.0 if integer else 0.01
        low = facts.low + step if facts.low is not None and facts.low_strict else facts.low
        high = facts.high - step if facts.high is not None and facts.high_strict else facts.high
        while low is not None and low in facts.excluded:
            low += step
        if rule.kind in ("int", "numeric"):
            arg = dict(rule.arg or {})
            lo, hi = float(arg.get("min", 0)), float(arg.get("max", 1000))
            if low is not None and high is not None and (hi < low or lo > high):
                lo, hi = low, high  # the name's guess is outside what is allowed
            lo = max(lo, low) if low is not None else lo
            hi = min(hi, high) if high is not None else hi
            if hi < lo:
                hi = lo + (100 * step if high is None else 0)
            arg.update({"min": int(lo) if integer else lo, "max": int(hi) if integer else hi})
            mean = rule.mean
            if mean is not None and not lo <= mean <= hi:
                mean = (lo + hi) / 2
            rule = replace(rule, arg=arg, mean=mean)
        elif rule.kind == "choice":
            values, _ = rule.arg
            kept = tuple(v for v in values if isinstance(v, (int, float))
                         and (low is None or v >= low) and (high is None or v <= high))
            if kept:
                rule = replace(rule, arg=(kept, _skewed(len(kept))))
    if (facts.time_low or facts.time_high) and rule.kind in ("timestamp", "date"):
        arg = dict(rule.arg or {})
        start, end = str(arg.get("start", DEFAULT_START.date())), str(arg.get("end", DEFAULT_END.date()))
        if facts.time_low and facts.time_low[:10] >= start[:10]:
            start = facts.time_low[:10]
            if facts.time_high is None and end[:10] <= start:
                end = str(date.fromisoformat(start) + timedelta(days=365 * 3))
        if facts.time_high and facts.time_high[:10] <= end[:10]:
            end = facts.time_high[:10]
            if facts.time_low is None and start[:10] >= end:
                start = str(date.fromisoformat(end) - timedelta(days=365 * 3))
        rule = replace(rule, arg={**arg, "start": start, "end": end})
    if facts.max_length is not None or facts.min_length is not None:
        opts = dict(rule.options)
        if facts.max_length is not None:
            opts["max_length"] = min(int(opts.get("max_length", facts.max_length)), facts.max_length)
        if facts.min_length is not None:
            opts["min_length"] = facts.min_length
        rule = replace(rule, options=opts)
    return rule


_BOUND = re.compile(r"FOR VALUES FROM \((.*)\) TO \((.*)\)")
_LIST = re.compile(r"FOR VALUES IN \((.*)\)")


def _partition_values(table: Table) -> dict[str, tuple[str, list[Any]]]:
    """The partition key column and its allowed ranges (RANGE) or values (LIST); HASH allows anything."""
    m = re.fullmatch(r"(RANGE|LIST) \((\w+)\)", table.partition_key)
    if not m or not table.partitions:
        return {}
    strategy, column = m.group(1), m.group(2)
    if any(p.bound == "DEFAULT" for p in table.partitions):
        return {}
    found: list[Any] = []
    for p in table.partitions:
        if strategy == "RANGE":
            b = _BOUND.fullmatch(p.bound)
            if b:
                found.append((_literal(b.group(1)), _literal(b.group(2))))
        else:
            b = _LIST.fullmatch(p.bound)
            if b:
                found.extend(_literal(v) for v in _split_list(b.group(1)))
    return {column: (strategy, found)} if found else {}


def _split_list(text: str) -> list[str]:
    return [v.strip() for v in re.findall(r"'(?:[^']|'')*'|[^,]+", text) if v.strip()]


def _literal(text: str) -> Any:
    text = text.strip()
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    if text.upper() in ("MINVALUE", "MAXVALUE", "NULL"):
        return None
    try:
        return int(text)
    except ValueError:
        return float(text)


def _within_partitions(rule: Rule, column: Column, spec: tuple[str, list[Any]]) -> Rule:
    strategy, values = spec
    if strategy == "LIST":
        kept = tuple(v for v in values if v is not None)
        return replace(rule, kind="choice", arg=(kept, _skewed(len(kept))), unique=False,
                       null_fraction=rule.null_fraction if None in values else 0.0)
    t = column.storage_type
    if t == "date" or t.startswith("timestamp"):
        ranges = [[a, b] for a, b in values if a is not None and b is not None]
        return replace(rule, kind="date" if t == "date" else "timestamp", arg={},
                       null_fraction=0.0, options={**rule.options, "ranges": ranges})
    if t in INT_TYPES:
        ranges = [[a, b] for a, b in values if a is not None and b is not None]
        return replace(rule, kind="int", arg={}, null_fraction=0.0, unique=False,
                       options={**rule.options, "ranges": ranges})
    return rule


# --- across columns -------------------------------------------------------------------------------


def _stage(name: str) -> int | None:
    stem = re.sub(r"(_at|_on|_date|_time|_ts|_timestamp|date|time)$", "", name.lower())
    for rank, verbs in _STAGES:
        if any(stem.startswith(v) or f"_{v}" in stem or stem.endswith(v) for v in verbs):
            return rank
    return None


def _lifecycle(table: Table, rules: dict[str, Rule], declared: dict[str, Rule], fixed: set[str]) -> None:
    """Order the inferred times of a row along their lifecycle: created <= started <= ended, updated, deleted."""
    times = [
        (c, _stage(c.name)) for c in table.columns
        if c.name in rules and c.name not in declared and rules[c.name].kind in ("timestamp", "date")
        and not re.search(r"(birth|dob)", c.name)
    ]
    staged = [(c, s) for c, s in times if s is not None]
    if not staged:
        return
    anchor, anchor_stage = min(staged, key=lambda cs: cs[1])
    anchor_rule = rules[anchor.name]
    sequential_key = any(r.kind == "sequence" for r in rules.values())
    if sequential_key and anchor.name not in fixed:
        # rows arrive in time order in an append-only table: ids and times rise together
        rules[anchor.name] = replace(anchor_rule, options={**anchor_rule.options, "ordered": True},
                                     null_fraction=0.0 if anchor.not_null else anchor_rule.null_fraction)
    done: list[tuple[Column, int]] = [(anchor, anchor_stage)]
    for c, stage in sorted(staged, key=lambda cs: cs[1]):
        if c is anchor or c.name in fixed:
            continue
        assert stage is not None
        base = anchor
        if stage in (1, 2):
            earlier = [d for d, s in done if s < stage and (d.not_null or not c.not_null)]
            base = earlier[-1] if earlier else anchor
        lo, hi = _AFTER_SPANS.get(stage, ("1m", "30d"))
        if stage == 4:
            nf = 0.0 if c.not_null else 0.95
        elif stage == 2:
            nf = 0.0 if c.not_null else 0.1
        elif stage == 3:
            nf = 0.0 if c.not_null else 0.2
        else:
            nf = 0.0 if c.not_null else 0.1
        if stage <= anchor_stage:
            continue  # the same stage as the anchor: independent
        rules[c.name] = Rule(table.name, c.name, "after", base.name, null_fraction=nf,
                             options={"min": lo, "max": hi})
        done.append((c, stage))


def _tenant_copies(table: Table, catalog: Catalog, rules: dict[str, Rule], declared: dict[str, Rule],
                   seeded: set[str]) -> None:
    """A child's key to a table its parent also points at follows the parent's (tenant keys, the
    customer of a payment's rental): `copy: parent_fk.column` instead of an unrelated pick."""
    refs = {c: r for c, r in rules.items() if r.kind == "ref" and c not in declared}
    sources: set[str] = set()
    for target, rule in refs.items():
        if target in sources:
            continue
        ref_table = str(rule.arg).rsplit(".", 1)[0]
        if ref_table == table.name:
            continue
        target_col = table.column(target)
        for source, srule in refs.items():
            if source == target or source in sources - {source} or rules[source].kind != "ref":
                continue
            parent_name = str(srule.arg).rsplit(".", 1)[0]
            parent = catalog.tables.get(parent_name)
            if parent is None or parent_name == table.name or parent_name not in seeded:
                continue
            match = [f for f in parent.foreign_keys if len(f.columns) == 1 and f.ref_table == ref_table
                     and f.ref_columns == (str(rule.arg).rsplit(".", 1)[1],)]
            if not match:
                continue
            fk = next((f for f in match if f.columns[0] == target), match[0])
            parent_col = parent.column(fk.columns[0])
            source_col = table.column(source)
            if target_col is not None and target_col.not_null and (
                (parent_col is not None and not parent_col.not_null) or (source_col is not None and not source_col.not_null)
            ):
                continue
            if rule.unique:
                continue
            rules[target] = Rule(table.name, target, "copy", f"{source}.{fk.columns[0]}")
            sources.add(source)
            break


def _multi_column_facts(table: Table, rules: dict[str, Rule], declared: dict[str, Rule], facts: CheckFacts) -> None:
    """The multi-column CHECK forms, as modifiers on the second column; anything else stops here."""

    def add(column: str, key: str, other: str, **extra: Any) -> None:
        if column in declared or column not in rules or other not in rules:
            return
        r = rules[column]
        rules[column] = replace(r, options={**r.options, key: other, **extra})

    for a, b in facts.nulls_with:
        add(b, "nulls_with", a)
    for a, b in facts.nulls_without:
        add(b, "nulls_without", a)
    for a, b in facts.required_without:
        add(b, "required_without", a)
    for low, high, strict in facts.at_least:
        r = rules.get(high)
        if r is not None and r.kind == "after" and str(r.arg) == low:
            continue
        if r is not None and r.kind in ("timestamp", "date") and rules.get(low) is not None and high not in declared:
            rules[high] = Rule(table.name, high, "after", low, null_fraction=r.null_fraction,
                               options={"min": "1s" if strict else "0s", "max": "30d"})
            continue
        add(high, "at_least", low, **({"strict": True} if strict else {}))
    if facts.unsupported:
        name, definition = facts.unsupported[0]
        raise SeedError(
            f"tables.{table.name}: cannot satisfy CHECK constraint {name} {definition}: "
            "only ranges, IN lists, length(), IS NOT NULL, (a IS NULL) = (b IS NULL) and a <= b are understood; "
            "declare rules for its columns and drop or relax the constraint"
        )
