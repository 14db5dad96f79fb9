-- delete_stale_storylines: story lines that no story belongs to any more
delete from storylines where not list_contains(?::varchar[], storyline_id)
