"""Caseworker workbooks: per-county xlsx out, returned verification results in."""
