"""Inspections in the field: checklists by industry, special campaigns (专项执法), the officers' task page on a
phone that survives a lost connection, findings and photos, both officers' confirmation, the published outcome
(issue 19)."""
