-- run_host_problems: what went wrong per host in a run (429s, robots refusals, timeouts, ...)
with failed as (
    select split_part(split_part(split_part(url, '://', 2), '/', 1), ':', 1) as host, error, detail, fetched_at
    from fetches
    where run_id = ? and error is not null
      -- a missing robots.txt (4xx) is no problem: it allows everything
      and not (url like '%/robots.txt' and status_code between 400 and 499)
)
select host,
       error as reason,
       count(*) as attempts,
       arg_max(detail, fetched_at) as last_detail
from failed
group by host, error
order by attempts desc, host, reason
