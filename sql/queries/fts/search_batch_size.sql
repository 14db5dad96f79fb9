-- fts/search_batch_size: the articles search_batch_terms holds
select count(distinct article_id)
from search_batch_terms
