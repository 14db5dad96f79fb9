-- last_fetched: when each URL of the batch was last asked for (any answer, or none)
select f.url, max(f.fetched_at) as fetched_at
from fetches as f
where f.url in (select url from batch)
group by f.url
