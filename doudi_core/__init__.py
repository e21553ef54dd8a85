"""Shared primitives of doudi: periods, settings, configuration and pseudonyms.

Everything here is plain Python with no Dagster import, so every stage (ingest,
cross-match, workbooks) and the tests can use it directly.
"""
