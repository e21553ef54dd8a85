"""Read the departments' extracts, normalise them, and split loaded from quarantined rows.

Plain polars, no Dagster: `ingest.delivery.ingest_source` is the entry point.
"""
