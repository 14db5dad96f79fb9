-- storyline_neighbours: the stored stories that may share a story line with the stories a
-- run regrouped. The batch holds each regrouped story (its day, and a row per strongest
-- term of its vector) and the stories its articles were in before (no terms). Neighbours
-- are those stories, the stories first published within $horizon_days of a regrouped one
-- whose stored vector is alike to it (a dot product of $min_similarity or more; its
-- $max_stories likeliest), and every story of the lines of all those, so no line is cut.
-- Days are merged into disjoint spans first, so each story meets one span at most.
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
    select s.story_id
    from stories as s
    join spans on s.first_published_at between low and high
),
alike as (
    select b.story_id as regrouped_id, v.story_id, sum(b.weight * v.weight) as dot
    from batch as b
    join story_vectors as v on v.term = b.term
    where v.story_id in (select story_id from near)
    group by b.story_id, v.story_id
    having sum(b.weight * v.weight) >= $min_similarity
    qualify row_number() over (partition by b.story_id order by dot desc, v.story_id)
            <= $max_stories
),
touched as (
    select story_id from alike
    union
    select story_id from batch
),
lines as (
    select distinct storyline_id
    from stories
    where story_id in (select story_id from touched) and storyline_id is not null
),
texts as (
    select story_id, count(*) as texts from copy_groups group by story_id
)
select s.story_id, s.title, s.first_published_at, s.article_count, s.storyline_id,
       l.created_at as storyline_created_at, coalesce(t.texts, 1) as texts
from stories as s
left join storylines as l using (storyline_id)
left join texts as t using (story_id)
where s.story_id in (select story_id from touched)
   or s.storyline_id in (select storyline_id from lines)
order by s.story_id
