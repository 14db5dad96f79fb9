-- storyline_neighbours: the stories that may share a story line with the batch's days'
-- stories: those first published within $horizon_days of one of the days, and every story
-- of their story lines. Days are merged into disjoint spans first (as in
-- grouping_working_set), so each story meets one span at most.
with days as (
    select distinct day from batch where day is not null
),
marked as (
    select day,
           case when day - lag(day) over (order by day)
                     <= to_days(2 * cast($horizon_days as integer))
                then 0 else 1 end as starts_span
    from days
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
near as (
    select s.story_id, s.storyline_id
    from stories as s
    join spans on s.first_published_at between low and high
),
texts as (
    select story_id, count(*) as texts from copy_groups group by story_id
)
select s.story_id, s.title, s.first_published_at, s.article_count, s.storyline_id,
       l.created_at as storyline_created_at, coalesce(t.texts, 1) as texts
from stories as s
left join storylines as l using (storyline_id)
left join texts as t using (story_id)
where s.story_id in (select story_id from near)
   or s.storyline_id in (select storyline_id from near where storyline_id is not null)
order by s.story_id
