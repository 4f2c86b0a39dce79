"""Alerts: exceedances, hotspots, water below target, silent and suspicious devices, AQI levels (issue 7)."""
