"""Random checks (双随机、一公开): enterprise and officer pools, reproducible draws with avoidance, inspections in the
field with checklists and special campaigns, and their publication (issue 19)."""
