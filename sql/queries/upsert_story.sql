-- upsert_story: stories' figures; created_at is kept from a story's first appearance
insert into stories (
    story_id, title, first_published_at, article_count, domain_count, lead_article_id,
    created_at, updated_at
)
select story_id, title, first_published_at, article_count, domain_count, lead_article_id,
       created_at, updated_at
from batch
on conflict (story_id) do update set
    title = excluded.title,
    first_published_at = excluded.first_published_at,
    article_count = excluded.article_count,
    domain_count = excluded.domain_count,
    lead_article_id = excluded.lead_article_id,
    updated_at = case
        when stories.article_count is distinct from excluded.article_count
          or stories.lead_article_id is distinct from excluded.lead_article_id
        then excluded.updated_at else stories.updated_at end
