-- fts/has_stopwords: a row when the index has its stopwords already
select 1 from fts_main_articles.stopwords limit 1
