"""Dashboards and reports: a DuckDB mirror of the primary database, fed incrementally, and
the sales and KPI queries over it (docs/insight.md)."""
