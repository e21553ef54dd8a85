select
    period,
    lead_id,
    rule_code,
    person_key,
    episode,
    first_period,
    state as lead_state,
    listed_status,
    priority,
    due_date,
    closed_period,
    closed_result,
    left_condition,
    household_id,
    county_code,
    town_code,
    rule_version
from {{ source('leads', 'lead_states') }}
