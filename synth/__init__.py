"""A synthetic Suqian that knows its own truth.

A tool beside the pipeline, not part of it: it shares only the published input
contract (the Chinese column names of extracts.md) with the readers, and has
its own identity-number code, so a reader bug cannot hide behind a generator bug.
"""
