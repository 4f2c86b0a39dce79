"""The emergency control list (应急减排清单, issue 20 part 3): each listed enterprise's measures by industry,
performance grade (绩效分级) and warning level, overrides, staggered schedules (错时生产) and the emission reductions
per county and pollutant against the required shares."""
