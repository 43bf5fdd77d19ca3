"""Outputs: records -> JSON Lines, Parquet, manifest, schema and QA crops."""
