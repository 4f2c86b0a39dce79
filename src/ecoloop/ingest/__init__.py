"""Monitoring data ingest: HJ 212 receiver, files and HTTP uploads, the readings store."""
