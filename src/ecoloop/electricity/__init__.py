"""Electricity-based verification (用电监控, issue 20 part 4): meters mapped to enterprises and their production and
treatment lines, their 15-minute or hourly kWh, each line's learned normal load, and the checks during a warning
(production above what the measures allow, treatment stopped while production runs)."""
