-- The low-income database's quality per period, county and category; month-over-month change
-- in 低保 members per county (the action plan asks to keep it stable and to assess it).
with by_category as (
    select
        period,
        county_code,
        assistance_category,
        count(*) as members,
        count(*) filter (where cover_status = '在保') as members_in_care,
        count(*) filter (where invalid_identity or not_in_hukou or name_differs) as identity_problems,
        count(*) filter (where not_in_hukou) as not_in_hukou,
        count(*) filter (where deceased and cover_status = '在保') as deceased_in_care,
        count(*) filter (where moved_out and cover_status = '在保') as moved_out_in_care
    from {{ ref('int_members_checked') }}
    group by all
),

dibao as (
    select period, county_code, count(*) filter (where assistance_category = '低保' and cover_status = '在保') as dibao_members
    from {{ ref('int_members_checked') }}
    group by all
)

select
    c.*,
    round(c.identity_problems / c.members, 4) as share_identity_problems,
    round(c.not_in_hukou / c.members, 4) as share_not_in_hukou,
    d.dibao_members as county_dibao_members,
    d.dibao_members - lag(d.dibao_members) over (partition by c.county_code, c.assistance_category order by c.period)
        as county_dibao_change
from by_category as c
join dibao as d using (period, county_code)
