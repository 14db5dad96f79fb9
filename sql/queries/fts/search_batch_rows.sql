-- fts/search_batch_rows: where batch $batch of search_index_diff lies in the articles table
-- (its first and last row positions) and how many articles it holds
select min(row_position), max(row_position), count(*)
from search_index_diff
where batch = $batch
