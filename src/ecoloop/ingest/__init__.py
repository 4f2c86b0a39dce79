"""Monitoring data ingest: the ways in (HJ 212 receiver, HTTP uploads and API, history files); the readings they
store live in `ecoloop.readings`."""
