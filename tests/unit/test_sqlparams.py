from __future__ import annotations

import pytest

from analyzer.sqlparams import convert_named_params


def test_named_parameters_become_psycopg_and_positional() -> None:
    c = convert_named_params("SELECT * FROM t WHERE a = :a AND b > :b AND c = :a")
    assert c.names == ("a", "b")
    assert c.psycopg_sql == "SELECT * FROM t WHERE a = %(a)s AND b > %(b)s AND c = %(a)s"
    assert c.positional_sql == "SELECT * FROM t WHERE a = $1 AND b > $2 AND c = $1"


def test_casts_strings_comments_and_percent_are_left_alone() -> None:
    sql = "SELECT x::text, ':no' AS \"a:b\" -- :nope\nFROM t WHERE title ILIKE '%' || :frag || '%' /* :c */"
    c = convert_named_params(sql)
    assert c.names == ("frag",)
    assert "x::text" in c.psycopg_sql
    assert "'%%' || %(frag)s || '%%'" in c.psycopg_sql
    assert "':no'" in c.positional_sql and "-- :nope" in c.positional_sql
    assert "'%' || $1 || '%'" in c.positional_sql


def test_doubled_quotes_inside_literals() -> None:
    c = convert_named_params("SELECT 'it''s :x' WHERE a = :y")
    assert c.names == ("y",)


def test_unterminated_literal_is_an_error() -> None:
    with pytest.raises(ValueError, match="unterminated string"):
        convert_named_params("SELECT 'abc")
