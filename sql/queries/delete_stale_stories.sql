-- delete_stale_stories: the working set's (the batch's) stories that the new grouping no
-- longer has (the view kept: the ids it keeps). Run before articles are updated.
delete from stories
where story_id in (select story_id from articles semi join batch using (article_id))
  and story_id not in (select story_id from kept)
