-- previous_grouping: the story and copy group each article had, with the story's age
select a.article_id, a.story_id, a.copy_group_id, s.created_at
from articles as a
left join stories as s using (story_id)
where a.story_id is not null
