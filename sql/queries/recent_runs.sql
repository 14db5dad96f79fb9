-- recent_runs: the latest runs, newest first, with what they did and how they ended
select r.run_id,
       strftime(r.started_at, '%Y-%m-%d %H:%M:%S') as started,
       round(epoch(r.finished_at - r.started_at), 1) as seconds,
       -- $running_since: when the live process holding the archive's run lock took it
       -- (null: none holds it); $lock_known: false on DuckLake, where runs take no lock
       case when r.finished_at is not null then 'finished'
            when r.started_at >= $running_since then 'running'
            when $lock_known then 'stopped (interrupted, killed or crashed)'
            else 'stopped (interrupted, killed, crashed, or still running)' end as state,
       (r.summary ->> 'fetched')::integer as fetched,
       (r.summary ->> 'new_articles')::integer as new_articles,
       (r.summary ->> 'new_stories')::integer as new_stories,
       (select count(*) from fetches as f where f.run_id = r.run_id and f.error is not null
           and f.url not like '%/robots.txt') as failed_attempts
from runs as r
order by r.started_at desc
limit $max_rows
