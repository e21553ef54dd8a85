select
    period,
    certificate_key,
    person_key,
    category as disability_category,
    grade as disability_grade,
    issue_date,
    certificate_state,
    living_subsidy as has_living_subsidy,
    care_subsidy as has_care_subsidy,
    town_code,
    county_code,
    certificate_consistent
from {{ source('disability', 'disability') }}
