-- fts/search_articles: articles matching $terms, best BM25 score first, at most $max_rows of them
-- (queries in fts/ need the fts extension loaded and the index built: tasks.search_index)
with scored_articles as (
    select article_id,
           domain,
           title,
           fts_main_articles.match_bm25(article_id, $terms) as score
    from articles
)
select article_id, domain, title, score
from scored_articles
where score is not null
order by score desc, article_id
limit $max_rows
