select
    period,
    county_code,
    file,
    rows as lead_rows,
    sha256,
    written_at
from {{ source('exports', 'workbook_audit') }}
