-- recent_runs: the latest runs, newest first, with what they did and how they ended
select r.run_id,
       strftime(r.started_at, '%Y-%m-%d %H:%M:%S') as started,
       round(epoch(r.finished_at - r.started_at), 1) as seconds,
       case when r.finished_at is not null then 'finished'
            else 'stopped (killed, crashed, or still running)' end as state,
       (r.summary ->> 'fetched')::integer as fetched,
       (r.summary ->> 'new_articles')::integer as new_articles,
       (r.summary ->> 'new_stories')::integer as new_stories,
       (select count(*) from fetches as f where f.run_id = r.run_id and f.error is not null
           and f.url not like '%/robots.txt') as failed_attempts
from runs as r
order by r.started_at desc
limit $max_rows
