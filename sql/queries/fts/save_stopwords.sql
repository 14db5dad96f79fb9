-- fts/save_stopwords: the index's stopwords, $words, unless it has them already
insert into fts_main_articles.stopwords (sw)
select distinct unnest($words::varchar[])
where not exists (select 1 from fts_main_articles.stopwords)
