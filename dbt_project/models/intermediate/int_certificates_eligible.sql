-- Counting (有效) certificates of each disability snapshot, with eligibility for the two
-- subsidies and whether it is enjoyed. The grades and categories are the rules' own, from
-- config/doudi.toml (rules.md: living subsidy for members of 在保 低保/低保边缘 households,
-- not 特困; care subsidy for grades 一级/二级, or 三级 in 智力/精神).
{%- set living = var('living_subsidy') %}
{%- set care = var('care_subsidy') %}
with standing as (
    select d.period, max(l.period) as lowincome_period
    from (select distinct period from {{ ref('stg_disability__certificates') }}) as d
    join (select distinct period from {{ ref('stg_lowincome__members') }}) as l on l.period <= d.period
    group by d.period
),

households as (
    select
        period,
        household_id,
        bool_or(cover_status = '在保') as in_care,
        arg_min(assistance_category, relation_to_applicant <> '本人') as household_category
    from {{ ref('stg_lowincome__members') }}
    group by period, household_id
),

living_eligible as (
    select m.period, m.person_key
    from {{ ref('stg_lowincome__members') }} as m
    join households as h using (period, household_id)
    where h.in_care
        and {{ in_list('h.household_category', living['categories']) }}
        and not {{ in_list('m.assistance_category', living['excluded_member_categories']) }}
)

select
    c.period,
    c.certificate_key,
    c.person_key,
    c.county_code,
    c.disability_category,
    c.disability_grade,
    e.person_key is not null as living_subsidy_eligible,
    c.has_living_subsidy,
    {{ in_list('c.disability_grade', care['grades']) }}
        or (c.disability_grade = '三级'
            and {{ in_list('c.disability_category', care['grade_three_categories']) }}) as care_subsidy_eligible,
    c.has_care_subsidy
from {{ ref('stg_disability__certificates') }} as c
left join standing as s using (period)
left join living_eligible as e on e.period = s.lowincome_period and e.person_key = c.person_key
where c.certificate_state = '有效'
