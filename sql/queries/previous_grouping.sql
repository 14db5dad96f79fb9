-- previous_grouping: the story and copy group each of the batch's articles had, with the
-- story's age
select a.article_id, a.story_id, a.copy_group_id, s.created_at
from articles as a
semi join batch using (article_id)
left join stories as s using (story_id)
where a.story_id is not null
