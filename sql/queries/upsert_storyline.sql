-- upsert_storyline: story lines' figures; created_at is kept from a line's first appearance
insert into storylines (
    storyline_id, title, first_published_at, last_published_at, story_count, article_count,
    lead_story_id, created_at, updated_at
)
select storyline_id, title, first_published_at, last_published_at, story_count,
       article_count, lead_story_id, created_at, updated_at
from batch
on conflict (storyline_id) do update set
    title = excluded.title,
    first_published_at = excluded.first_published_at,
    last_published_at = excluded.last_published_at,
    story_count = excluded.story_count,
    article_count = excluded.article_count,
    lead_story_id = excluded.lead_story_id,
    updated_at = case
        when storylines.story_count is distinct from excluded.story_count
          or storylines.article_count is distinct from excluded.article_count
          or storylines.lead_story_id is distinct from excluded.lead_story_id
        then excluded.updated_at else storylines.updated_at end
