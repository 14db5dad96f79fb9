-- 007_storylines: stories that follow one subject over weeks (a breach and its fallout)

create table storylines (
    storyline_id        varchar primary key,
    title               varchar,       -- the title of its biggest story
    first_published_at  timestamptz,
    last_published_at   timestamptz,   -- the first date of its latest story
    story_count         integer not null,
    article_count       integer not null,
    lead_story_id       varchar not null,
    created_at          timestamptz not null,
    updated_at          timestamptz not null
);

alter table stories add column storyline_id varchar;

-- storyline_stories: each story line with its stories, oldest first
create view storyline_stories as
select l.storyline_id,
       l.title as storyline_title,
       l.story_count,
       s.story_id,
       s.title as story_title,
       s.first_published_at,
       s.article_count,
       s.domain_count
from storylines as l
join stories as s using (storyline_id)
order by l.last_published_at desc nulls last, l.storyline_id, s.first_published_at nulls last, s.story_id;
