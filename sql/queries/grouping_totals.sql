-- grouping_totals: what the archive holds after a grouping
select (select count(*) from articles) as articles,
       (select count(*) from articles where not is_group_origin) as copies,
       (select count(*) from copy_groups where member_count > 1) as copy_groups,
       (select count(*) from stories) as stories
