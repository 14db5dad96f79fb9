-- update_grouping: the copy group, story and dates decided for each article of the batch
update articles set
    copy_group_id = batch.copy_group_id,
    story_id = batch.story_id,
    is_group_origin = batch.is_group_origin,
    published_at = batch.published_at,
    republished_at = batch.republished_at
from batch
where articles.article_id = batch.article_id
