"""`pg-analyzer capture` and `compare-stats`: a workload and a synthetic twin of the data from a live database.

statements (pg_stat_statements, what is left out) -> params (named `:params` and their
sources, pglast) -> pgstats and rules (pg_stats -> seeding rules) -> schema_dump (pg_dump
or the catalog) -> writer (the YAML); capture orchestrates them in one read-only
transaction, compare puts staging's statistics beside the twin's.
"""
