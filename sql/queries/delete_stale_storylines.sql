-- delete_stale_storylines: the working set's (the batch's) story lines that the new
-- grouping no longer has ($storylines: the ids it keeps). Run before stories change.
delete from storylines
where storyline_id in (
    select s.storyline_id
    from articles as a
    semi join batch using (article_id)
    join stories as s using (story_id)
)
  and not list_contains($storylines::varchar[], storyline_id)
