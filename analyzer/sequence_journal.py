"""Sequences a rolled-back write mix advanced, recorded before it runs, so they can be put back.

A rolled-back INSERT still consumes sequence values. The write mix puts them back itself at
the end of each run (only where nobody else used them since); a run killed in the middle
(SIGKILL) cannot, so before each run the sequences' states are written to a journal file
on this machine, and `pg-analyzer cleanup` restores them from it. The journal lives on the
client because the tool writes nothing of its own into a target it does not own; a cleanup
from another machine does not see it (it says so).

Restoring is only safe when no committed row holds a value above the one restored to, or
the next insert would collide: that is checked on the column the sequence belongs to.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql


def journal_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "pg-analyzer" / "sequences"


def _server_key(conn: psycopg.Connection) -> dict[str, str]:
    info = conn.info
    return {"host": str(info.host), "port": str(info.port), "dbname": str(info.dbname)}


def record(conn: psycopg.Connection, states: dict[str, tuple[int, bool]]) -> Path | None:
    """Write the sequences' states before a run; the path is removed by `forget` once restored."""
    if not states:
        return None
    folder = journal_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{os.getpid()}-{id(states):x}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"server": _server_key(conn), "sequences": states}), encoding="utf-8")
        tmp.replace(path)
        return path
    except OSError:
        return None  # the in-run restore still happens; only a SIGKILL would leave them advanced


def forget(path: Path | None) -> None:
    if path is not None:
        path.unlink(missing_ok=True)


def restore_pending(conn: psycopg.Connection) -> tuple[list[str], list[str]]:
    """Restore the sequences every journal of this database records; (restored, notes).

    A journal of another server or database is left alone; one restored is removed.
    """
    restored: list[str] = []
    notes: list[str] = []
    key = _server_key(conn)
    folder = journal_dir()
    if not folder.is_dir():
        return restored, notes
    for path in sorted(folder.glob("*.json")):
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if data.get("server") != key:
            continue
        complete = True
        for seq, (value, called) in dict(data.get("sequences", {})).items():
            outcome = _restore_one(conn, str(seq), int(value), bool(called))
            if outcome is None:
                restored.append(str(seq))
            else:
                complete = False
                notes.append(f"sequence {seq} not restored: {outcome}")
        if complete:
            path.unlink(missing_ok=True)
    return restored, notes


def relation_idents(conn: psycopg.Connection, names: Iterable[str]) -> dict[str, sql.Identifier]:
    """Relations named as regclass text (`tasks_id_seq`, `"Odd"."x_seq"`) as qualified identifiers read
    from the catalog, in one query: a name is never pasted into SQL. Missing relations are left out."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    rows = conn.execute(
        "SELECT t, n.nspname, c.relname FROM unnest(%s::text[]) t JOIN pg_class c ON c.oid = to_regclass(t) "
        "JOIN pg_namespace n ON n.oid = c.relnamespace",
        (wanted,),
    ).fetchall()
    return {str(t): sql.Identifier(str(schema), str(rel)) for t, schema, rel in rows}


def sequence_states(conn: psycopg.Connection, names: Iterable[str]) -> dict[str, tuple[int, bool]]:
    """(last_value, is_called) of each named sequence; those that do not exist are left out."""
    states: dict[str, tuple[int, bool]] = {}
    for name, ident in relation_idents(conn, names).items():
        row = conn.execute(sql.SQL("SELECT last_value, is_called FROM {}").format(ident)).fetchone()
        if row is not None:
            states[name] = (int(row[0]), bool(row[1]))
    return states


def owned_sequence_states(conn: psycopg.Connection, tables: Iterable[str]) -> dict[str, tuple[int, bool]]:
    """(last_value, is_called) of the sequences the tables' columns own (serial, identity)."""
    names = conn.execute(
        "SELECT DISTINCT d.objid::regclass::text FROM pg_depend d JOIN pg_class s ON s.oid = d.objid "
        "WHERE s.relkind = 'S' AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') "
        "AND d.refobjid = ANY(SELECT to_regclass(t)::oid FROM unnest(%s::text[]) t) ORDER BY 1",
        (sorted(set(tables)),),
    ).fetchall()
    try:
        return sequence_states(conn, [str(n) for (n,) in names])
    except psycopg.errors.InsufficientPrivilege:
        return {}


@contextmanager
def sequences_put_back(conn: psycopg.Connection, tables: Iterable[str]) -> Iterator[None]:
    """Rolled-back writes inside: the sequences they advance are put back afterwards (also on Ctrl-C,
    where the connection is still usable), and journaled meanwhile for a `cleanup` after SIGKILL."""
    try:
        states = owned_sequence_states(conn, tables)
    except psycopg.Error:
        states = {}
    journal = record(conn, states)
    try:
        yield
    finally:
        if states and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            try:
                if all(_restore_one(conn, seq, v, c) is None for seq, (v, c) in states.items()):
                    forget(journal)
            except psycopg.Error:
                pass  # the journal stays for `cleanup`
        elif not states:
            forget(journal)


def _restore_one(conn: psycopg.Connection, seq: str, value: int, called: bool) -> str | None:
    """setval back to `value` when that is safe; None when done (or already there), else why not."""
    try:
        state = sequence_states(conn, [seq]).get(seq)
    except psycopg.Error as e:
        return e.diag.message_primary or str(e)
    if state is None or state == (value, called):
        return None  # dropped since, or already there
    owner = conn.execute(
        "SELECT d.refobjid::regclass::text, n.nspname, c.relname, a.attname FROM pg_depend d "
        "JOIN pg_class c ON c.oid = d.refobjid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
        "WHERE d.objid = to_regclass(%s) AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')",
        (seq,),
    ).fetchone()
    if owner is not None:
        table, schema, relname, column = (str(v) for v in owner)
        used = conn.execute(
            sql.SQL("SELECT EXISTS (SELECT 1 FROM {} WHERE {} > %s)").format(
                sql.Identifier(schema, relname), sql.Identifier(column)),
            (value,),
        ).fetchone()
        if used and used[0]:
            return f"{table}.{column} holds rows above {value} (another session inserted since)"
    try:
        conn.execute("SELECT setval(%s, %s, %s)", (seq, value, called))
    except psycopg.Error as e:
        return e.diag.message_primary or str(e)
    return None
