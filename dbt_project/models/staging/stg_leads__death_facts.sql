select
    period,
    person_key,
    county_code,
    funeral_date,
    register_date,
    hukou_status
from {{ source('leads', 'death_facts') }}
