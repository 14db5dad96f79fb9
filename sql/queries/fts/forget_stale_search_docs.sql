-- fts/forget_stale_search_docs: take out of the index the docs of search_index_diff (their
-- article removed, or re-indexed in a batch after this)
delete from fts_main_articles.terms
where docid in (select docid from search_index_diff where docid is not null);
delete from fts_main_articles.docs
where docid in (select docid from search_index_diff where docid is not null);
