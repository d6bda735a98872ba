"""Generated columns as COPY data: PostgreSQL's binary format, assembled in Arrow, never row by row.

A binary COPY row is a 16-bit field count, then each field as a 32-bit length (-1 for NULL)
and its bytes. The fixed-width fields of columns without NULLs are packed by numpy into one
record per row; text, JSON and nullable fields are Arrow binary arrays (a pool of distinct
values is encoded once and gathered by code); Arrow joins the pieces of each row in C++.
The server then parses no text at all, which is what makes the load cheap on its side.

A table with a type that has no simple binary form here (numeric, arrays, enums, domains)
is written as CSV instead, through Arrow's CSV writer.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from analyzer.errors import SeedError
from analyzer.seeding.generators import BOOL, DATE, FLOAT, INT, JSON, TEXT, TIMESTAMP, Col, to_arrow

HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension length
TRAILER = b"\xff\xff"
NULL_FIELD = b"\xff\xff\xff\xff"
PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in Unix microseconds
PG_EPOCH_DAYS = 10_957

# codec: (numpy dtype of the value, value kinds it accepts); width 0 means variable length
_FIXED: dict[str, tuple[str, tuple[str, ...]]] = {
    "i2": (">i2", (INT,)),
    "i4": (">i4", (INT,)),
    "i8": (">i8", (INT,)),
    "f4": (">f4", (FLOAT, INT)),
    "f8": (">f8", (FLOAT, INT)),
    "bool": ("u1", (BOOL,)),
    "ts": (">i8", (TIMESTAMP, DATE)),
    "date": (">i4", (DATE, TIMESTAMP)),
    "uuid": ("V16", (TEXT,)),
}
_VARIABLE: dict[str, tuple[str, ...]] = {"text": (TEXT, JSON), "jsonb": (TEXT, JSON)}
_INT_RANGE = {"i2": (-(2**15), 2**15 - 1), "i4": (-(2**31), 2**31 - 1)}
# Every non-NULL value quoted, so an empty string stays an empty string (COPY CSV reads an
# unquoted empty field as NULL).
_CSV_OPTIONS = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")


def codec_for(pg_type: str) -> str | None:
    """The binary codec of a column type (format_type() spelling), or None if it has none here."""
    t = pg_type.lower()
    simple = {
        "smallint": "i2", "integer": "i4", "bigint": "i8", "real": "f4", "double precision": "f8",
        "boolean": "bool", "date": "date", "uuid": "uuid", "text": "text", "json": "text", "jsonb": "jsonb",
    }
    if t in simple:
        return simple[t]
    if t.startswith("timestamp") and not t.endswith("[]"):
        return "ts"
    if t.startswith(("character varying", "character(", "varchar")) and not t.endswith("[]"):
        return "text"
    return None


@dataclass(frozen=True)
class Field:
    column: str
    codec: str
    nullable: bool


class BinaryRows:
    """Encodes chunks of a generated table as binary COPY data (call `header`/`trailer` around them)."""

    def __init__(
        self, table: str, fields: list[Field], cols: dict[str, Col], pools: EncodedPools | None = None
    ) -> None:
        self.table = table
        # fixed-width fields without NULLs first: they form one packed record per row
        self.fields = sorted(fields, key=lambda f: 0 if f.codec in _FIXED and not f.nullable else 1)
        self.cols = cols
        self._pools = EncodedPools() if pools is None else pools
        packed = [f for f in self.fields if f.codec in _FIXED and not f.nullable]
        layout: list[tuple[str, str]] = [("count", ">i2")]
        for i, f in enumerate(packed):
            layout += [(f"l{i}", ">i4"), (f"v{i}", _FIXED[f.codec][0])]
        self._packed = packed
        self._record = np.dtype(layout)

    @property
    def columns(self) -> list[str]:
        """The column order of the COPY statement."""
        return [f.column for f in self.fields]

    def encode(self, start: int, stop: int) -> memoryview:
        n = stop - start
        record = np.empty(n, dtype=self._record)
        record["count"] = len(self.fields)
        for i, f in enumerate(self._packed):
            record[f"l{i}"] = np.dtype(_FIXED[f.codec][0]).itemsize
            record[f"v{i}"] = self._fixed_values(f, start, stop)
        rest = [self._variable_field(f, start, stop) for f in self.fields[len(self._packed):]]
        if not rest:
            return memoryview(record.tobytes())
        joined = pc.binary_join_element_wise(_as_binary(record), *rest, b"")
        offsets = np.frombuffer(joined.buffers()[1], dtype=np.int32, count=n + 1, offset=joined.offset * 4)
        data = joined.buffers()[2]
        return memoryview(data)[int(offsets[0]) : int(offsets[-1])]

    def _fixed_values(self, f: Field, start: int, stop: int) -> np.ndarray:
        col = self.cols[f.column]
        values = col.values[start:stop]
        if f.codec == "ts":
            return np.asarray(values, dtype="datetime64[us]").astype(np.int64) - PG_EPOCH_US
        if f.codec == "date":
            return np.asarray(values, dtype="datetime64[D]").astype(np.int64) - PG_EPOCH_DAYS
        if f.codec == "uuid":
            if col.nulls is not None:  # NULL rows hold no uuid text; any 16 bytes do, they are not written
                values = np.where(col.nulls[start:stop], "00000000-0000-0000-0000-000000000000", values)
            raw = bytes.fromhex("".join(str(v) for v in values).replace("-", ""))
            return np.frombuffer(raw, dtype="V16")
        if f.codec in _INT_RANGE and len(values):
            lo, hi = _INT_RANGE[f.codec]
            if values.min() < lo or values.max() > hi:
                raise SeedError(
                    f"tables.{self.table}.columns.{f.column}: generated values {values.min()}..{values.max()} "
                    f"do not fit the column type"
                )
        return np.asarray(values)

    def _variable_field(self, f: Field, start: int, stop: int) -> pa.Array:
        col = self.cols[f.column]
        if f.codec in _FIXED:
            dtype = _FIXED[f.codec][0]
            record = np.empty(stop - start, dtype=np.dtype([("l", ">i4"), ("v", dtype)]))
            record["l"] = np.dtype(dtype).itemsize
            record["v"] = self._fixed_values(f, start, stop)
            encoded = _as_binary(record)
        elif col.codes is not None and col.pool is not None:
            encoded = self._pools.encoded(col.pool, f.codec).take(pa.array(col.codes[start:stop]))
        else:
            encoded = _text_fields(pa.array(col.values[start:stop], type=pa.string()), f.codec)
        if f.nullable and col.nulls is not None:
            encoded = pc.if_else(pa.array(col.nulls[start:stop]), pa.scalar(NULL_FIELD, pa.binary()), encoded)
        return encoded


class EncodedPools:
    """Value pools already encoded as fields. The chunks of a table share their pools (the same
    array object), so one cache for a whole COPY encodes each pool once, not once a chunk."""

    def __init__(self) -> None:
        # keyed by id(); the pool itself is kept so that its id is never reused meanwhile
        self._encoded: dict[tuple[int, str], tuple[np.ndarray, pa.Array]] = {}

    def encoded(self, pool: np.ndarray, codec: str) -> pa.Array:
        key = (id(pool), codec)
        hit = self._encoded.get(key)
        if hit is None:
            hit = self._encoded[key] = (pool, _text_fields(pa.array(pool, type=pa.string()), codec))
        return hit[1]


def _text_fields(texts: pa.Array, codec: str) -> pa.Array:
    """Length-prefixed UTF-8 fields; jsonb adds its version byte."""
    version = b"\x01" if codec == "jsonb" else b""
    lengths = pc.binary_length(texts).to_numpy(zero_copy_only=False).astype(np.int64) + len(version)
    prefix = np.asarray(lengths, dtype=">i4")
    return pc.binary_join_element_wise(_as_binary(prefix), version, texts.cast(pa.binary()), b"")


def _as_binary(values: np.ndarray) -> pa.Array:
    """Each element of a numpy array (records included) as one Arrow binary value: the array's own
    bytes with evenly spaced offsets, no copy."""
    width = values.dtype.itemsize
    data = pa.py_buffer(np.ascontiguousarray(values).view(np.uint8))
    offsets = pa.py_buffer(np.arange(0, (len(values) + 1) * width, width, dtype=np.int32))
    return pa.BinaryArray.from_buffers(pa.binary(), len(values), [None, offsets, data])


def binary_rows(
    table: str, columns: list[tuple[str, str]], cols: dict[str, Col], nullable: set[str] | None = None,
    pools: EncodedPools | None = None,
) -> BinaryRows | None:
    """An encoder for (column, type) pairs, or None when some column cannot be written in binary.

    `nullable` fixes which columns may hold NULLs (chunks of one COPY must keep one field order);
    by default it is read from the values. `pools` carries encoded pools from chunk to chunk.
    """
    fields: list[Field] = []
    for name, pg_type in columns:
        codec = codec_for(pg_type)
        col = cols[name]
        accepted = _FIXED[codec][1] if codec in _FIXED else _VARIABLE.get(codec or "", ())
        if codec is None or col.kind not in accepted:
            return None
        has_nulls = col.nulls is not None and bool(col.nulls.any())
        if nullable is not None and has_nulls and name not in nullable:
            raise SeedError(f"tables.{table}.columns.{name}: NULLs in a chunk of a column planned without them")
        fields.append(Field(name, codec, has_nulls if nullable is None else name in nullable))
    return BinaryRows(table, fields, cols, pools)


def csv_chunk(columns: list[str], cols: dict[str, Col], start: int, stop: int) -> Any:
    """Rows start..stop as CSV for `COPY ... (FORMAT csv)`."""
    batch = pa.table({c: to_arrow(_slice(cols[c], start, stop)) for c in columns})
    sink = io.BytesIO()
    pa_csv.write_csv(batch, sink, _CSV_OPTIONS)
    return sink.getbuffer()


def _slice(col: Col, start: int, stop: int) -> Col:
    return Col(col.kind, col.values[start:stop], nulls=col.nulls[start:stop] if col.nulls is not None else None)
