"""Monthly periods (`YYYY-MM`) for every period-dependent asset."""

import dagster as dg

periods = dg.MonthlyPartitionsDefinition(start_date="2024-01", fmt="%Y-%m", end_offset=1)
