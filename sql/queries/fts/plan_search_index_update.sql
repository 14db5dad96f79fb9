-- fts/plan_search_index_update: what the index lacks, into temp table search_index_diff:
-- its docs whose article is gone or whose title or text changed (docid set), and the
-- articles it does not hold as they are now (article_id set), numbered in batches of
-- $batch_size in the order the articles table stores them (row_position: its rowid), so
-- that a batch reads its texts from one narrow range of the table, not from all of it; an
-- unchanged article matches its doc and is left out
create or replace temp table search_index_diff as
with current_articles as (
    select article_id,
           md5(coalesce(title, '') || chr(0) || text_sha256) as digest,
           rowid as row_position
    from articles
),
differences as (
    select docs.docid,
           current_articles.article_id,
           current_articles.digest,
           current_articles.row_position
    from fts_main_articles.docs as docs
    full outer join current_articles
        on current_articles.article_id = docs.name and current_articles.digest = docs.digest
    where docs.docid is null or current_articles.article_id is null
)
select docid,
       article_id,
       digest,
       row_position,
       case when article_id is not null
            then (row_number() over (partition by article_id is null order by row_position) - 1)
                 // $batch_size
       end as batch
from differences
