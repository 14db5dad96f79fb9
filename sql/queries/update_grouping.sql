-- update_grouping: the copy group, story and dates decided for one article
update articles set
    copy_group_id = ?, story_id = ?, is_group_origin = ?, published_at = ?, republished_at = ?
where article_id = ?
