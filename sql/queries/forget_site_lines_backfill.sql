-- forget_site_lines_backfill: articles whose edge lines are now recorded
delete from site_lines_backfill where article_id in (select article_id from batch)
