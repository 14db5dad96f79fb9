-- fts/search_index_diff_size: docs to take out, articles to index, and their batches, in
-- search_index_diff
select count(docid),
       count(article_id),
       coalesce(max(batch) + 1, 0)
from search_index_diff
