-- update_grouping: the copy group, story and dates decided for each article of the batch,
-- and the text they were decided on (so the next run leaves it alone unless it changes)
update articles set
    copy_group_id = batch.copy_group_id,
    story_id = batch.story_id,
    is_group_origin = batch.is_group_origin,
    published_at = batch.published_at,
    republished_at = batch.republished_at,
    grouped_sha256 = articles.text_sha256
from batch
where articles.article_id = batch.article_id
