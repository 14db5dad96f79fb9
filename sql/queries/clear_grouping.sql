-- clear_grouping: copy groups and links are recomputed whole; the old ones go first
delete from copy_groups;
delete from article_links;
