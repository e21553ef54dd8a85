select
    period as returned_period,
    file,
    sheet,
    row_number,
    lead_id,
    county_code,
    result as verification_result,
    verified_on,
    closes as closes_lead
from {{ source('feedback', 'feedback') }}
