"""Named query parameters (`:name`) rewritten for psycopg and for the PostgreSQL parser.

Workload SQL is written with `:name` parameters, as in psql and most ORMs. psycopg wants
`%(name)s` (and every literal `%` doubled); pglast wants `$1`-style placeholders. The
scanner skips string literals, quoted identifiers, comments and `::` casts, so a colon
inside them is never mistaken for a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConvertedSql:
    psycopg_sql: str
    positional_sql: str
    names: tuple[str, ...]


def convert_named_params(sql: str) -> ConvertedSql:
    """Rewrite `:name` parameters; raise ValueError on an unterminated literal or comment."""
    out_pg: list[str] = []
    out_pos: list[str] = []
    names: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in ("'", '"'):
            end = _end_of_quoted(sql, i, ch)
            chunk = sql[i:end]
            out_pg.append(chunk.replace("%", "%%"))
            out_pos.append(chunk)
            i = end
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end == -1 else end
            out_pg.append(sql[i:end].replace("%", "%%"))
            out_pos.append(sql[i:end])
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end == -1:
                raise ValueError("unterminated /* comment")
            out_pg.append(sql[i : end + 2].replace("%", "%%"))
            out_pos.append(sql[i : end + 2])
            i = end + 2
        elif sql.startswith("::", i):
            out_pg.append("::")
            out_pos.append("::")
            i += 2
        elif ch == ":" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] == "_"):
                j += 1
            name = sql[i + 1 : j]
            if name not in names:
                names.append(name)
            out_pg.append(f"%({name})s")
            out_pos.append(f"${names.index(name) + 1}")
            i = j
        elif ch == "%":
            out_pg.append("%%")
            out_pos.append("%")
            i += 1
        else:
            out_pg.append(ch)
            out_pos.append(ch)
            i += 1
    return ConvertedSql("".join(out_pg), "".join(out_pos), tuple(names))


def _end_of_quoted(sql: str, start: int, quote: str) -> int:
    i = start + 1
    while i < len(sql):
        if sql[i] == quote:
            if i + 1 < len(sql) and sql[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    raise ValueError(f"unterminated {'string' if quote == chr(39) else 'quoted identifier'} literal")
