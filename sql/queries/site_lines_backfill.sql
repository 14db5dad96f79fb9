-- site_lines_backfill: articles stored before the archive recorded edge lines (migration 016)
select article_id from site_lines_backfill order by article_id
