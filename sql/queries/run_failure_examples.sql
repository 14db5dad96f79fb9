-- run_failure_examples: for each reason a run's URLs and listings failed, one example
-- (the failures of a URL are its last attempt's; discovery problems count as listed)
with last_attempts as (
    select url, error
    from fetches
    where run_id = $run_id and url not like '%/robots.txt'  -- robots.txt answers are no pages
    qualify row_number() over (partition by url order by attempt desc, fetch_id desc) = 1
),
failed as (
    select error as reason, url from last_attempts where error is not null
    union all
    select reason, source as url from discovery_problems where run_id = $run_id
)
select reason, min(url) as example, count(*) as failures
from failed
group by reason
order by failures desc, reason
