select
    period,
    person_key,
    name_key,
    id_sex as sex,
    id_birth_date as birth_date,
    household_no,
    relation,
    father_key,
    mother_key,
    town_code,
    county_code,
    status as person_status,
    status_date as status_changed_on
from {{ source('hukou', 'hukou') }}
