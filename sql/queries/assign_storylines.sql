-- assign_storylines: the story line of each of the batch's stories
update stories set storyline_id = batch.storyline_id
from batch
where stories.story_id = batch.story_id
