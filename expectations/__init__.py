"""Great Expectations suites that gate each run."""
