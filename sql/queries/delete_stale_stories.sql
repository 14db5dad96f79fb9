-- delete_stale_stories: stories that no article belongs to any more
delete from stories where not list_contains(?::varchar[], story_id)
