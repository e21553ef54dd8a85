-- Care standard (照料护理标准) for 特困 members in care, by county and self-care ability:
-- a share of the previous year's minimum wage (shares and wages from config/doudi.toml).
{{ per_period_mart() }}
{%- set wages = var('minimum_wage_yuan') %}
{%- set shares = var('care_standard_shares') %}
with wages as (
    {%- if wages %}
    select * from (values
        {%- for county, wage in wages.items() %}
        ('{{ county }}', {{ wage }}){{ "," if not loop.last }}
        {%- endfor %}
    ) as w(county_code, minimum_wage_yuan)
    {%- else %}
    select null::varchar as county_code, null::decimal(10, 2) as minimum_wage_yuan where false
    {%- endif %}
),

shares as (
    select * from (values
        {%- for ability, share in shares.items() %}
        ('{{ ability }}', {{ share }}){{ "," if not loop.last }}
        {%- endfor %}
    ) as s(self_care, share_of_minimum_wage)
)

select
    m.period,
    m.county_code,
    m.self_care,
    count(*) as tekun_members,
    s.share_of_minimum_wage,
    w.minimum_wage_yuan,
    cast(round(w.minimum_wage_yuan * s.share_of_minimum_wage, 2) as decimal(10, 2)) as monthly_care_standard_yuan,
    cast(round(w.minimum_wage_yuan * s.share_of_minimum_wage, 2) * count(*) as decimal(14, 2)) as monthly_care_cost_yuan,
    {{ 'true' if var('minimum_wage_placeholder') else 'false' }} as minimum_wage_is_placeholder
from {{ of_run_period(ref('int_members_checked')) }} as m
join shares as s using (self_care)
left join wages as w using (county_code)
where m.assistance_category = '特困' and m.cover_status = '在保'
group by m.period, m.county_code, m.self_care, s.share_of_minimum_wage, w.minimum_wage_yuan
