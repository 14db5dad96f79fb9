-- grouping_working_set: what a run regroups: the batch (pending articles and their copies
-- found anywhere in the archive), every article dated within $horizon_days of a pending
-- one (the batch rows marked near), and, whole, every story any of those belongs to (so
-- no story is cut in two). Story lines are not read here: they are drawn again from the
-- stored story vectors (storyline_neighbours), so a line followed for a year costs its
-- vectors, not its texts. Pending dates are merged into disjoint spans first, so each
-- article meets one span at most.
with dated as (
    select a.article_id, a.story_id,
           coalesce(a.page_date, h.published_at, a.first_seen_at) as day
    from articles as a
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
    select d.article_id, d.story_id from dated as d semi join batch using (article_id)
    union
    select d.article_id, d.story_id from dated as d join spans on d.day between low and high
)
select article_id from touched
union
select article_id
from articles
where story_id in (select story_id from touched where story_id is not null)
