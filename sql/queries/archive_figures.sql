-- archive_figures: how many rows the main tables hold
select (select count(*) from articles) as articles,
       (select count(*) from stories) as stories,
       (select count(*) from copy_groups) as copy_groups,
       (select count(*) from raw_records) as raw_records,
       (select count(*) from fetches) as fetches
