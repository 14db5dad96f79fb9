-- insert_story_merge: stories merged into others, each recorded once
insert into story_merges (merged_story_id, into_story_id, merged_at)
select merged_story_id, into_story_id, merged_at from batch
on conflict (merged_story_id) do nothing
