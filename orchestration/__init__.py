"""Dagster wiring and the `doudi` command: no business logic lives here."""
