-- previous_grouping: the story, copy group and story line each of the batch's articles
-- had, with the ages of the story and line
select a.article_id, a.story_id, a.copy_group_id, s.created_at, s.storyline_id, l.created_at
from articles as a
semi join batch using (article_id)
left join stories as s using (story_id)
left join storylines as l on l.storyline_id = s.storyline_id
where a.story_id is not null
