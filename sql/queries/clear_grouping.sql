-- clear_grouping: the working set's (the batch's) copy groups, links and story vectors go
-- before the newly computed ones come. Run before articles are updated.
delete from copy_groups
where copy_group_id in (
    select copy_group_id from articles semi join batch using (article_id)
);
delete from article_links
where a in (select article_id from batch) or b in (select article_id from batch);
delete from story_vectors
where story_id in (select story_id from articles semi join batch using (article_id));
