-- The plan's elder-care targets per period, county and town (outputs.md): 尊老金 among people
-- 80 and over, 护理补贴 among those ELDER_CARE_SUBSIDY_MISSING considers, 能力评估 among
-- people 80 and over, visits among the elderly in special difficulty.
{{ per_period_mart() }}
{%- set targets = var('elder_care_targets') %}
with people as (
    select * from {{ of_run_period(ref('stg_leads__elder_coverage_people')) }}
),

-- a period without an eldercare delivery of its own knows no visits (all null)
visits_known as (
    select period, bool_or(visited_in_period is not null) as known from people group by period
),

counted as (
    select
        period,
        county_code,
        town_code,
        count(*) filter (where aged_80_plus) as aged_80_plus,
        count(*) filter (where aged_80_plus and has_allowance) as with_allowance,
        count(*) filter (where care_considered) as care_considered,
        count(*) filter (where care_considered and has_care_support) as with_care_support,
        count(*) filter (where aged_80_plus and assessed_recently) as assessed_recently,
        count(*) filter (where special_difficulty) as special_difficulty,
        count(*) filter (where special_difficulty and visited_in_period) as visited_in_period
    from people
    group by period, county_code, town_code
)

select
    period,
    county_code,
    town_code,
    aged_80_plus,
    with_allowance,
    round(with_allowance / nullif(aged_80_plus, 0), 4) as allowance_share,
    care_considered,
    with_care_support,
    round(with_care_support / nullif(care_considered, 0), 4) as care_support_share,
    {{ targets['care_subsidy'] }} as care_support_target,
    assessed_recently,
    round(assessed_recently / nullif(aged_80_plus, 0), 4) as assessment_share,
    {{ targets['assessment'] }} as assessment_target,
    special_difficulty,
    case when v.known then visited_in_period end as visited_in_period,
    case when v.known then round(visited_in_period / nullif(special_difficulty, 0), 4) end
        as visit_share,
    {{ targets['visit'] }} as visit_target
from counted
join visits_known as v using (period)
