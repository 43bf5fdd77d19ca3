"""Load an output folder into a warehouse (DuckDB file or PostgreSQL): DDL, per-PDF upsert, reviewed view."""
