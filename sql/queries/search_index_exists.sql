-- search_index_exists: whether the full-text index over articles has been built
select count(*) > 0
from duckdb_functions()
where schema_name = 'fts_main_articles' and function_name = 'match_bm25'
