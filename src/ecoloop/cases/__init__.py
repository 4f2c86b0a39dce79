"""Closed-loop case management: 发现 → 交办 → 整改 → 复核 → 销号, with 督办 and 约谈 when deadlines slip."""
