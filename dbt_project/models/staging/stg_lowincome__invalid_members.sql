select
    period,
    household_id,
    person_key,
    category as assistance_category,
    status as cover_status,
    town_code,
    county_code,
    reason as identity_problem
from {{ source('lowincome', 'lowincome_invalid_ids') }}
