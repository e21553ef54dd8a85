select
    period,
    person_key,
    county_code,
    town_code,
    aged_80_plus,
    has_allowance,
    assessed_recently,
    care_considered,
    has_care_support,
    special_difficulty,
    visited_in_period
from {{ source('leads', 'elder_coverage_people') }}
