-- fts/drop_search_update_tables: the temp tables of an update, once it is done
drop table if exists search_index_diff;
drop table if exists search_batch_terms;
