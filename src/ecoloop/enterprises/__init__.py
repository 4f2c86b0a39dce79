"""Enterprises under supervision (一企一档); permits, grades and lists build on this record."""
