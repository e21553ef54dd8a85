-- What caseworkers found, per rule and county: the bureau's measure of which rules are worth
-- their time (share confirmed, 属实) and of the 15-working-day limit.
select
    rule_code,
    county_code,
    count(*) as leads_raised,
    count(verification_result) as leads_answered,
    count(*) filter (where confirmed) as leads_confirmed,
    round(count(*) filter (where confirmed) / nullif(count(verification_result), 0), 4) as share_confirmed,
    count(*) filter (where closed_by_verification) as leads_closed_by_verification,
    count(*) filter (where condition_gone and not closed_by_verification) as leads_lapsed,
    median(days_to_verification) as median_days_to_verification,
    count(*) filter (where verified_within_limit) as answered_within_limit,
    round(count(*) filter (where verified_within_limit) / nullif(count(verification_result), 0), 4) as share_within_limit
from {{ ref('int_leads_verified') }}
group by rule_code, county_code
