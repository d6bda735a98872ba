"""Validate a workload before anything starts: YAML, seeding rules, SQL names, parameter sources."""
