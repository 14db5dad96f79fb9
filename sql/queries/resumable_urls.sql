-- resumable_urls: URLs that runs which never finished (killed, crashed, gave up on a held
-- file) fetched, or were told were unchanged, since the given time: the next run skips them
select distinct f.url
from fetches as f
join runs as r on r.run_id = f.run_id
where r.finished_at is null
  and r.run_id <> $run_id
  and r.started_at >= $since
  and f.error is null
