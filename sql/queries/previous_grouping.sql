-- previous_grouping: the story, copy group and story line each article had, with their ages
select a.article_id, a.story_id, a.copy_group_id, s.created_at, s.storyline_id, l.created_at
from articles as a
left join stories as s using (story_id)
left join storylines as l on l.storyline_id = s.storyline_id
where a.story_id is not null
