-- insert_copy_group: articles that are copies of one text, and the origin picked for them
insert into copy_groups (copy_group_id, origin_article_id, member_count, story_id)
select copy_group_id, origin_article_id, member_count, story_id from batch
