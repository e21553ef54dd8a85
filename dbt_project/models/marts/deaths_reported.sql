-- Deaths by the month they happened and the hukou county (outputs.md): seen by the funeral
-- homes, by the register, by both; still 正常 in hukou some days after death; the median
-- days from death to deregistration where both know it. Each death as the latest period
-- knows it; its hukou status as the first period whose as_of is that many days after death
-- saw it.
{%- set days = var('deregistration_days') %}
with facts as (
    select * from {{ ref('stg_leads__death_facts') }}
),

latest as (
    select * from facts qualify period = max(period) over ()
),

deaths as (
    select
        person_key,
        county_code,
        funeral_date,
        register_date,
        least(funeral_date, register_date) as death_date
    from latest
),

after_deadline as (  -- the hukou status the first snapshot at least `days` after death shows
    select
        d.person_key,
        arg_min(f.hukou_status, f.period) as hukou_status
    from deaths as d
    inner join facts as f
        on f.person_key = d.person_key
        and last_day(strptime(f.period || '-01', '%Y-%m-%d'))::date >= d.death_date + {{ days }}
    group by d.person_key
)

select
    strftime(d.death_date, '%Y-%m') as period,
    d.county_code,
    count(*) as deaths,
    count(*) filter (where d.funeral_date is not null) as seen_by_funeral_homes,
    count(*) filter (where d.register_date is not null) as seen_by_register,
    count(*) filter (where d.funeral_date is not null and d.register_date is not null)
        as seen_by_both,
    count(a.person_key) as known_after_deadline,
    count(*) filter (where a.hukou_status = '正常') as still_registered_after_deadline,
    median(d.register_date - d.funeral_date)
        filter (where d.funeral_date is not null and d.register_date is not null)
        as median_days_to_deregistration
from deaths as d
left join after_deadline as a using (person_key)
group by all
