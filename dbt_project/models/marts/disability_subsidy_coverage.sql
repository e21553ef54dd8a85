-- Coverage of the two disability subsidies among those eligible, by county and period.
{{ per_period_mart() }}
select
    period,
    county_code,
    count(*) filter (where living_subsidy_eligible) as living_subsidy_eligible,
    count(*) filter (where living_subsidy_eligible and has_living_subsidy) as living_subsidy_enjoyed,
    round(count(*) filter (where living_subsidy_eligible and has_living_subsidy)
        / nullif(count(*) filter (where living_subsidy_eligible), 0), 4) as living_subsidy_coverage,
    count(*) filter (where care_subsidy_eligible) as care_subsidy_eligible,
    count(*) filter (where care_subsidy_eligible and has_care_subsidy) as care_subsidy_enjoyed,
    round(count(*) filter (where care_subsidy_eligible and has_care_subsidy)
        / nullif(count(*) filter (where care_subsidy_eligible), 0), 4) as care_subsidy_coverage
from {{ of_run_period(ref('int_certificates_eligible')) }}
group by period, county_code
