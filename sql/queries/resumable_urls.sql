-- resumable_urls: URLs that runs which never finished (killed, crashed, gave up on a held
-- file) fetched, or were told were unchanged, since the given time: the next run skips them.
-- Only runs started after the last run that finished: once a run has finished after a
-- killed one, the killed run's pages are fetched again like any others (they skipped
-- every later run's fetch for a day, missing the pages' corrections).
select distinct f.url
from fetches as f
join runs as r on r.run_id = f.run_id
where r.finished_at is null
  and r.run_id <> $run_id
  and r.started_at >= $since
  and r.started_at > coalesce(
      (select max(started_at) from runs where finished_at is not null),
      $since
  )
  and f.error is null
