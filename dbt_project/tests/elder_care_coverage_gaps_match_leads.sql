-- Each gap the elder_care_coverage mart shows is the leads of its rule in the same place:
-- people 80+ without 尊老金 = ELDER_ALLOWANCE_MISSING, the considered without care support =
-- ELDER_CARE_SUBSIDY_MISSING, the unvisited = ELDER_VISIT_OVERDUE (where visits are known).
-- A lead counts while listed, or closed by a caseworker's answer with its condition holding.
with mart as (
    select period, county_code, town_code, 'ELDER_ALLOWANCE_MISSING' as rule_code,
        aged_80_plus - with_allowance as gap
    from {{ ref('elder_care_coverage') }}
    union all
    select period, county_code, town_code, 'ELDER_CARE_SUBSIDY_MISSING',
        care_considered - with_care_support
    from {{ ref('elder_care_coverage') }}
    union all
    select period, county_code, town_code, 'ELDER_VISIT_OVERDUE',
        special_difficulty - visited_in_period
    from {{ ref('elder_care_coverage') }}
    where visited_in_period is not null
),

raised as (
    select period, county_code, town_code, rule_code, count(distinct person_key) as leads
    from {{ ref('stg_leads__lead_states') }}
    where rule_code in ('ELDER_ALLOWANCE_MISSING', 'ELDER_CARE_SUBSIDY_MISSING', 'ELDER_VISIT_OVERDUE')
        and (listed_status is not null or (lead_state = 'closed_verified' and not left_condition))
    group by all
),

known as (  -- the periods and rules the mart speaks for
    select distinct period, rule_code from mart
),

compared as (  -- grouped, not joined: a place may be null on both sides
    select period, county_code, town_code, rule_code, sum(gap) as gap, sum(leads) as leads
    from (
        select period, county_code, town_code, rule_code, gap, 0 as leads from mart
        union all
        select r.period, r.county_code, r.town_code, r.rule_code, 0, r.leads
        from raised as r join known using (period, rule_code)
    )
    group by all
)

select * from compared where gap != leads
