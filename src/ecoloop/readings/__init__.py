"""The stored readings: the reading vocabulary, the hot store (SQLite or PostgreSQL), the Parquet tier, the HJ 212
code table and the plausibility rules every way in applies."""
