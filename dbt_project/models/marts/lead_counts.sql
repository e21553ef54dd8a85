-- Leads listed per period by place, rule, priority and status, with those past their due date.
{{ per_period_mart() }}
select
    period,
    county_code,
    town_code,
    rule_code,
    priority,
    listed_status as lead_status,
    count(*) as leads,
    count(*) filter (where due_date < last_day(cast(period || '-01' as date))) as overdue_leads
from {{ of_run_period(ref('stg_leads__lead_states')) }}
where listed_status is not null
group by all
