-- fts/search_index_size: the articles the index holds
select count(*) from fts_main_articles.docs
