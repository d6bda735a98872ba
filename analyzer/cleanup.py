"""Find and remove what a killed run left behind: tagged indexes, scratch databases, extensions.

A run removes everything it creates in `finally` blocks (also on Ctrl-C and SIGTERM); only a
SIGKILL, a crash or a lost connection leaves objects behind. Every such object carries a
COMMENT naming the run (or, for scratch databases, a recognizable name), so it can be found
here without guessing. Indexes and extensions are looked up in the connected database;
scratch databases anywhere on the server. Nothing untagged is ever touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from analyzer.advisor.builds import LOCK_TIMEOUT_MS, TAG_PREFIX
from analyzer.errors import TargetError
from analyzer.runner import SCRATCH_PREFIX
from analyzer.sequence_journal import restore_pending
from analyzer.targets import connect, mask_dsn

SCRATCH_COMMENT_PREFIX = "pg-analyzer scratch database"


@dataclass(frozen=True)
class LeftOver:
    """One object a run created and did not remove."""

    kind: str  # "index", "extension" or "database"
    name: str
    database: str
    comment: str
    schema: str = ""  # indexes only

    def describe(self) -> str:
        where = "" if self.kind == "database" else f" in database {self.database}"
        name = f"{self.schema}.{self.name}" if self.schema else self.name
        return f"{self.kind} {name}{where} ({self.comment})"


@dataclass
class CleanupResult:
    """What was found, what was removed (nothing on a dry run) and why anything was kept."""

    found: list[LeftOver] = field(default_factory=list)
    removed: list[LeftOver] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def find_leftovers(conn: psycopg.Connection) -> list[LeftOver]:
    """Tagged indexes and extensions of this database, then scratch databases of the server."""
    database = str(conn.execute("SELECT current_database()").fetchone()[0])  # type: ignore[index]
    tag = TAG_PREFIX.replace("_", "\\_") + "%"
    found: list[LeftOver] = []
    rows = conn.execute(
        """
        SELECT n.nspname, c.relname, d.description
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
        WHERE c.relkind IN ('i', 'I') AND d.description LIKE %s
        ORDER BY 1, 2
        """,
        (tag,),
    ).fetchall()
    found += [LeftOver("index", name, database, comment, schema) for schema, name, comment in rows]
    rows = conn.execute(
        """
        SELECT e.extname, d.description
        FROM pg_extension e
        JOIN pg_description d ON d.objoid = e.oid AND d.classoid = 'pg_extension'::regclass
        WHERE d.description LIKE %s
        ORDER BY 1
        """,
        (tag,),
    ).fetchall()
    found += [LeftOver("extension", name, database, comment) for name, comment in rows]
    rows = conn.execute(
        """
        SELECT datname, coalesce(shobj_description(oid, 'pg_database'), '')
        FROM pg_database
        WHERE datname <> current_database()
          AND (datname LIKE %s OR shobj_description(oid, 'pg_database') LIKE %s)
        ORDER BY 1
        """,
        (SCRATCH_PREFIX.replace("_", "\\_") + "%", SCRATCH_COMMENT_PREFIX + "%"),
    ).fetchall()
    found += [LeftOver("database", name, name, comment or "named like a scratch database") for name, comment in rows]
    return found


def cleanup(dsn: str, *, dry_run: bool = False, progress: Callable[[str], None] | None = None) -> CleanupResult:
    """List the leftovers of killed runs on the target and, unless `dry_run`, remove them."""
    say = progress or (lambda _m: None)
    masked = mask_dsn(dsn)
    conn = connect(dsn, dsn_masked=masked)
    try:
        result = CleanupResult(found=find_leftovers(conn))
        others = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg-analyzer' AND pid <> pg_backend_pid()"
        ).fetchone()
        if others and others[0]:
            result.notes.append(
                f"{others[0]} other pg-analyzer session(s) are connected to this server: a run may still be in progress"
            )
        if dry_run:
            return result
        conn.execute(sql.SQL("SET lock_timeout = {}").format(sql.Literal(LOCK_TIMEOUT_MS)))
        # indexes first: a tagged extension may still serve a tagged index (pg_trgm)
        for item in sorted(result.found, key=lambda o: ("index", "extension", "database").index(o.kind)):
            try:
                _drop(conn, item)
            except psycopg.errors.LockNotAvailable:
                result.notes.append(f"kept {item.describe()}: it is locked by another session; try again later")
                continue
            except psycopg.errors.DependentObjectsStillExist:
                result.notes.append(f"kept {item.describe()}: other objects depend on it")
                continue
            except psycopg.errors.InsufficientPrivilege:
                result.notes.append(f"kept {item.describe()}: this role may not drop it")
                continue
            except psycopg.Error as e:
                raise TargetError(f"{masked}: cannot drop {item.describe()}: {e.diag.message_primary or e}") from None
            say(f"removed {item.describe()}")
            result.removed.append(item)
        restored, notes = restore_pending(conn)
        result.notes.extend(notes)
        if restored:
            result.notes.append(f"sequences put back where a killed write mix left them advanced: {', '.join(restored)}")
        return result
    finally:
        conn.close()


def _drop(conn: psycopg.Connection, item: LeftOver) -> None:
    if item.kind == "index":
        conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(item.schema, item.name)))
    elif item.kind == "extension":
        conn.execute(sql.SQL("DROP EXTENSION IF EXISTS {}").format(sql.Identifier(item.name)))
    else:
        try:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(item.name)))
        except psycopg.errors.SyntaxError:  # before PostgreSQL 13
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(item.name)))
