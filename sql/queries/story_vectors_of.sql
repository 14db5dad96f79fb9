-- story_vectors_of: the vectors of the batch's stories
select v.story_id, v.term, v.weight
from story_vectors as v
semi join batch using (story_id)
order by v.story_id, v.term
