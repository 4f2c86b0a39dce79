"""What the data says, computed once and kept: air quality per station and area (hourly and daily AQI, daily values,
period statistics), water classes per section and month, noise levels per station and day, and the compliance of
pollution-source outlets per month; the pages, exports and API that show them (issue 16).

`store.py` keeps each result table as Parquet under `DATA_DIR/results/` (read on the engine of `ANALYTICS_URL`,
like the readings); `air.py`, `water.py`, `noise.py` and `sources.py` compute their tables from the stored readings
through `ecoloop.analytics`; `service.py` runs them for the days that changed (the `results` scheduler job and
`ecoloop results compute`); `queries.py` reads them for a principal, scoped by region.
"""
