"""Batch analytics as Ibis expressions, so the same code runs on embedded DuckDB or on Spark."""
