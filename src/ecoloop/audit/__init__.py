"""Append-only audit trail: every mutation records who, when, what, before → after."""
