"""pg-analyzer: seed a PostgreSQL database, replay a workload under EXPLAIN, check plans, prove indexes."""

from __future__ import annotations

__version__ = "0.1.0"
