-- grouping_working_set: what a run regroups. The batch holds the pending articles
-- (near = true, each also with a row per strongest term of its tf-idf vector) and their
-- copies found anywhere in the archive (near = false). The working set is those, every
-- story any of them is in, and the stories first published within $horizon_days of a
-- pending article whose stored vector is alike to one (a dot product of $min_similarity
-- or more over the pending text's terms; its $max_stories likeliest), all of them whole so
-- no story is cut in two. A story nothing new is alike to is not read, however near in
-- time; story lines are drawn from stored vectors (storyline_neighbours), not texts.
-- Pending dates are merged into disjoint spans first, so each story meets one span at most.
with members as (
    select distinct article_id, near from batch
),
pending_days as (
    select a.article_id, coalesce(a.page_date, h.published_at, a.first_seen_at) as day
    from articles as a
    left join link_hints as h on h.url = a.url
    where a.article_id in (select article_id from members where near)
),
marked as (
    select day,
           case when day - lag(day) over (order by day)
                     <= to_days(2 * cast($horizon_days as integer))
                then 0 else 1 end as starts_span
    from (select distinct day from pending_days)
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
near_stories as (
    select s.story_id
    from stories as s
    join spans on s.first_published_at between low and high
),
alike as (
    select b.article_id, v.story_id, sum(b.weight * v.weight) as dot
    from batch as b
    join story_vectors as v on v.term = b.term
    where v.story_id in (select story_id from near_stories)
    group by b.article_id, v.story_id
    having sum(b.weight * v.weight) >= $min_similarity
    qualify row_number() over (partition by b.article_id order by dot desc, v.story_id)
            <= $max_stories
),
touched as (
    select story_id from alike
    union
    select story_id from articles
    where article_id in (select article_id from members) and story_id is not null
)
select article_id from members
union
select article_id from articles where story_id in (select story_id from touched)
