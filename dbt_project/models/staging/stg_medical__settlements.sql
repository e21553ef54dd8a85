select
    delivery_period,
    settlement_id,
    reverses_id,
    person_key,
    insurance_type,
    care_type,
    settlement_date,
    cast(total_fen / 100 as decimal(14, 2)) as total_yuan,
    cast(fund_fen / 100 as decimal(14, 2)) as fund_paid_yuan,
    cast(critical_fen / 100 as decimal(14, 2)) as critical_illness_paid_yuan,
    cast(assistance_fen / 100 as decimal(14, 2)) as assistance_paid_yuan,
    cast(oop_fen / 100 as decimal(14, 2)) as out_of_pocket_yuan,
    insured_county_code
from {{ source('medical', 'medical') }}
