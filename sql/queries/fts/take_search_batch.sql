-- fts/take_search_batch: the title and text of the articles of batch $batch of
-- search_index_diff, tokenized, stopwords left out, stemmed and counted, into temp table
-- search_batch_terms (an article without terms still gets a row, its term null). Only the
-- rows $first_row to $last_row of articles are read (a constant range DuckDB prunes its scan
-- to): the batch's row positions, or all rows if those have moved since the plan
create or replace temp table search_batch_terms as
with batch_articles as (
    select diff.article_id, articles.title, articles.text
    from search_index_diff as diff
    join articles on articles.article_id = diff.article_id
    where diff.batch = $batch
      and articles.rowid between $first_row and $last_row
),
words as (
    select article_id, 0 as fieldid, unnest(fts_main_articles.tokenize(title)) as word
    from batch_articles
    union all
    select article_id, 1 as fieldid, unnest(fts_main_articles.tokenize(text)) as word
    from batch_articles
),
stemmed as (
    select article_id, fieldid, stem(word, 'porter') as term
    from words
    where len(word) > 0
      and word not in (select sw from fts_main_articles.stopwords)
),
counted as (
    select article_id, fieldid, term, count(*) as tf
    from stemmed
    group by article_id, fieldid, term
)
select article_id, fieldid, term, tf
from counted
union all
select article_id, null, null, 0
from batch_articles
where article_id not in (select article_id from counted)
