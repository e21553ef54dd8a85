-- Each low-income member of each delivered snapshot, checked against the hukou snapshot then
-- standing (the latest hukou delivery up to that period).
with hukou_periods as (
    select distinct period from {{ ref('stg_hukou__residents') }}
),

standing as (
    select m.period, max(h.period) as hukou_period
    from (select distinct period from {{ ref('stg_lowincome__members') }}) as m
    join hukou_periods as h on h.period <= m.period
    group by m.period
),

members as (
    select m.*, s.hukou_period
    from {{ ref('stg_lowincome__members') }} as m
    join standing as s using (period)
)

select
    m.period,
    m.household_id,
    m.person_key,
    m.assistance_category,
    m.cover_status,
    m.self_care,
    m.county_code,
    h.person_key is null as not_in_hukou,
    h.person_key is not null and h.name_key <> m.name_key as name_differs,
    coalesce(h.person_status = '死亡', false) as deceased,
    coalesce(h.person_status = '迁出', false) as moved_out,
    false as invalid_identity
from members as m
left join (
    select period, person_key, person_status, name_key from {{ ref('stg_hukou__residents') }}
) as h on h.period = m.hukou_period and h.person_key = m.person_key

union all

select
    period, household_id, person_key, assistance_category, cover_status, null, county_code,
    false, false, false, false, true
from {{ ref('stg_lowincome__invalid_members') }}
