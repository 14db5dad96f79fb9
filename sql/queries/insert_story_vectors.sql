-- insert_story_vectors: the vectors of the stories a grouping computed
insert into story_vectors (story_id, term, weight)
select story_id, term, weight from batch
