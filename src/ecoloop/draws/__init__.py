"""Random checks (双随机): enterprise and officer pools, reproducible draws with avoidance, their verification and
their publication (一公开) (issue 19)."""
