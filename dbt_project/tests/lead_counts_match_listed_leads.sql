-- The rollup must count exactly the leads listed in each period.
with listed as (
    select period, count(*) as leads from {{ ref('stg_leads__lead_states') }}
    where listed_status is not null group by period
),
rolled as (
    select period, sum(leads) as leads from {{ ref('lead_counts') }} group by period
)
select * from listed full join rolled using (period)
where listed.leads is distinct from rolled.leads
