-- stories_stored: whether the archive holds any story yet (a first grouping has none)
select exists (select 1 from stories)
