-- delete_stale_storylines: story lines that no story belongs to any more
delete from storylines
where storyline_id not in (
    select storyline_id from stories where storyline_id is not null
)
