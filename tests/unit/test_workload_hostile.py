"""Hostile and malformed workload files: refused at load, one line naming the file and line, exit 2,
before anything connects. And a property: whatever the bytes, the loader never raises anything
but WorkloadError."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.cli import main
from analyzer.errors import WorkloadError
from analyzer.workload import load_workload

WORKLOADS = Path(__file__).resolve().parents[2] / "workloads"
NOWHERE = "host=127.0.0.1 port=1 dbname=nothing connect_timeout=1"  # load errors come before any connection

BASE = """\
name: hostile
queries:
  - name: q
    sql: {sql}
"""


def _write(tmp_path: Path, text: str, name: str = "w.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _refused(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["run", str(path), "--dsn", NOWHERE, "--no-advise", "-q"])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert "cannot connect" not in err  # refused at load, never sent
    return err


@pytest.mark.parametrize(("sql", "needle"), [
    ('"SELECT count(*) FROM items; COMMIT; DROP TABLE canary"', "holds 3 statements"),
    ("TRUNCATE items", "TRUNCATE"),
    ("DROP TABLE canary", "DROP"),
    ('"SET ROLE postgres"', "SET"),
    ("UPDATE items SET a = 1", "modifies_data: true"),
    ('"SELECT pg_terminate_backend(pid) FROM pg_stat_activity"', "pg_terminate_backend"),
])
def test_a_query_is_one_read(tmp_path: Path, capsys: pytest.CaptureFixture[str], sql: str, needle: str) -> None:
    path = _write(tmp_path, BASE.format(sql=sql))
    err = _refused(path, capsys)
    assert f"{path}:3: query 'q'" in err and needle in err


@pytest.mark.parametrize(("param", "needle"), [
    ('{sql: "DELETE FROM items WHERE id > 100 RETURNING id"}', "only a read"),
    ('{sql: "SELECT 1; DROP TABLE canary"}', "holds 2 statements"),
    ('{sample: items.id, where: "true) LIMIT 1; COMMIT; DROP TABLE canary; SELECT (1"}', "where:"),
    ('{sample: items.id, where: "true; DROP TABLE canary"}', "where:"),
    ("{sample: items}", "table.column"),
])
def test_parameter_sources_cannot_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], param: str, needle: str
) -> None:
    text = BASE.format(sql="SELECT * FROM items WHERE id = :x") + f"    params:\n      x: {param}\n"
    err = _refused(_write(tmp_path, text), capsys)
    assert ("query 'q': params.x" in err or "queries['q'].params.x" in err) and needle in err


def test_writes_hold_only_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = BASE.format(sql="SELECT 1") + "writes:\n  - name: w\n    sql: TRUNCATE items\n"
    err = _refused(_write(tmp_path, text), capsys)
    assert "write 'w'" in err and "TRUNCATE" in err


def test_a_schema_that_creates_a_role_is_refused_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "s.sql").write_text("CREATE TABLE items (id int);\n\nCREATE ROLE intruder SUPERUSER LOGIN;\n")
    text = "name: hostile\nschema: s.sql\nqueries:\n  - name: q\n    sql: SELECT 1\n"
    err = _refused(_write(tmp_path, text), capsys)
    assert f"{tmp_path / 's.sql'}:3" in err and "CREATE ROLE" in err


def test_binary_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "w.yaml"
    path.write_bytes(b"name: x\n\xff\xfe\x00\x01 queries")
    assert "not UTF-8" in _refused(path, capsys)


def test_billion_laughs_is_refused_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    lines.append("name: bomb\nqueries: [{name: q, sql: SELECT 1}]")
    err = _refused(_write(tmp_path, "\n".join(lines) + "\n"), capsys)
    assert "aliases expand" in err


def test_a_self_referencing_alias(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = _refused(_write(tmp_path, "name: x\nloop: &l [*l]\nqueries: [{name: q, sql: SELECT 1}]\n"), capsys)
    assert "malformed YAML" in err


@pytest.mark.parametrize(("args", "needle"), [
    (["--scale", "0"], "scale"), (["--scale", "-1"], "scale"), (["--scale", "nan"], "scale"),
    (["--scale", "inf"], "scale"), (["--seed", "-3"], "seed"), (["--scale", "lots"], "scale"),
])
def test_bad_numbers_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    path = _write(tmp_path, BASE.format(sql="SELECT 1"))
    assert main(["run", str(path), "--dsn", NOWHERE, *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err and "Traceback" not in err


def test_nan_scale_in_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "name: x\nscale: .nan\nqueries: [{name: q, sql: SELECT 1}]\n")
    assert "scale" in _refused(path, capsys)


def test_out_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, BASE.format(sql="SELECT 1"))
    blocker = _write(tmp_path, "x", "not-a-folder")
    assert main(["run", str(path), "--dsn", NOWHERE, "--out", str(blocker)]) == 2
    assert "is a file" in capsys.readouterr().err


def test_a_name_too_long_for_a_file_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "name: " + "n" * 300 + "\nqueries: [{name: q, sql: SELECT 1}]\n")
    assert "too long" in _refused(path, capsys)


@pytest.mark.parametrize("dsn", [
    "host=localhost passwd=hunter2secret",
    "host=localhost password=hunter2secret extra",
    "host=localhost password='hunter2secret",
    "postgresql://me:hunter2@secret@127.0.0.1:1/db",
])
def test_dsn_errors_never_show_the_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dsn: str
) -> None:
    path = _write(tmp_path, BASE.format(sql="SELECT 1"))
    assert main(["run", str(path), "--dsn", dsn, "-q"]) == 2
    err = capsys.readouterr().err
    assert "hunter2" not in err and "secret@" not in err and len(err.strip().splitlines()) == 1, err


def test_an_internal_error_is_exit_3_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import analyzer.runner

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("password=hunter2 an invariant broke")

    monkeypatch.setattr(analyzer.runner, "load_workload", broken)
    path = _write(tmp_path, BASE.format(sql="SELECT 1"))
    assert main(["run", str(path), "--dsn", NOWHERE]) == 3
    err = capsys.readouterr().err
    assert "internal error" in err and "Traceback" not in err and "hunter2" not in err


# --- the property: random bytes and random mutations of the shipped workloads -------------------

def _shipped_texts() -> list[str]:
    return [p.read_text() for p in sorted(WORKLOADS.glob("*.yaml"))]


def _load_text(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(data)
    try:
        load_workload(path)
    except WorkloadError as e:
        assert "\n" not in str(e).strip()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_the_loader(tmp_path: Path, data: bytes) -> None:
    _load_text(tmp_path, data)


def _mutate(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    for _ in range(rng.randint(1, 4)):
        if not lines:
            break
        i = rng.randrange(len(lines))
        choice = rng.randrange(7)
        if choice == 0:
            del lines[i]
        elif choice == 1:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif choice == 2:
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
        elif choice == 3:
            lines[i] = lines[i].replace(":", ": [", 1)
        elif choice == 4:
            lines[i] = lines[i] + rng.choice(["; DROP TABLE x", " &a", " *a", "'", '"', "{", " - ", "\t", ": null"])
        elif choice == 5:
            lines[i] = " " * rng.randrange(6) + lines[i].lstrip()
        else:
            lines[i] = lines[i].replace(rng.choice(["sql", "rows", "params", "sample", "name"]), "x")
    return "\n".join(lines) + "\n"


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=0, max_value=2**32 - 1), st.sampled_from(range(len(_shipped_texts()))))
def test_mutated_workloads_never_crash_the_loader(tmp_path: Path, seed: int, which: int) -> None:
    text = _mutate(_shipped_texts()[which], random.Random(seed))
    try:
        yaml.safe_load(text)
    except yaml.YAMLError:
        pass
    _load_text(tmp_path, text.encode())
