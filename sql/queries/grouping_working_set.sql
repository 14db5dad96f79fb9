-- grouping_working_set: what a run regroups: the batch (pending articles and their copies
-- found anywhere in the archive), every article dated within $horizon_days of a pending
-- one (the batch rows marked near), and, whole, every story line any of those belongs to
-- (so no story or story line is cut in two). Pending dates are merged into disjoint
-- spans first, so each article meets one span at most.
with dated as (
    select a.article_id, s.storyline_id,
           coalesce(a.page_date, h.published_at, a.first_seen_at) as day
    from articles as a
    left join stories as s using (story_id)
    left join link_hints as h on h.url = a.url
),
seed_days as (
    select distinct d.day
    from dated as d
    semi join (select article_id from batch where near) as b using (article_id)
),
marked as (
    select day,
           case when day - lag(day) over (order by day)
                     <= to_days(2 * cast($horizon_days as integer))
                then 0 else 1 end as starts_span
    from seed_days
),
numbered as (
    select day, sum(starts_span) over (order by day) as span from marked
),
spans as (
    select min(day) - to_days(cast($horizon_days as integer)) as low,
           max(day) + to_days(cast($horizon_days as integer)) as high
    from numbered
    group by span
),
touched as (
    select d.article_id, d.storyline_id from dated as d semi join batch using (article_id)
    union
    select d.article_id, d.storyline_id from dated as d join spans on d.day between low and high
)
select article_id from touched
union
select article_id
from dated
where storyline_id in (select storyline_id from touched where storyline_id is not null)
