-- One row per lead (all periods): where and when it was raised, and its verification, if any.
with lead_history as (
    select
        lead_id,
        any_value(rule_code) as rule_code,
        arg_min(county_code, period) as county_code,
        min(first_period) as first_period,
        any_value(due_date) as due_date,
        max(period) as last_period,
        bool_or(lead_state = 'closed_condition_gone') as condition_gone
    from {{ ref('stg_leads__lead_states') }}
    group by lead_id
),

answers as (
    select
        *,
        row_number() over (
            partition by lead_id
            order by closes_lead desc, returned_period, verified_on, file, sheet, row_number
        ) as pick
    from {{ ref('stg_feedback__verifications') }}
)

select
    l.lead_id,
    l.rule_code,
    l.county_code,
    l.first_period,
    last_day(cast(l.first_period || '-01' as date)) as raised_as_of,
    l.due_date,
    l.last_period,
    l.condition_gone,
    a.verification_result,
    a.verified_on,
    coalesce(a.closes_lead, false) as closed_by_verification,
    a.verification_result like '属实%' as confirmed,
    datediff('day', last_day(cast(l.first_period || '-01' as date)), a.verified_on) as days_to_verification,
    a.verified_on <= l.due_date as verified_within_limit
from lead_history as l
left join answers as a on a.lead_id = l.lead_id and a.pick = 1
