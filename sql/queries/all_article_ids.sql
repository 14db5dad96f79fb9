-- all_article_ids: every article, for benchmarks and full regroups
select article_id from articles order by article_id
