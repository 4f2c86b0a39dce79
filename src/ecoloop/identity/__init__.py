"""Organisations, users, roles, passwords, sessions, API tokens and login throttling."""
