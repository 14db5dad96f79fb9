-- save_search_index_fingerprint: the index was just built over these articles
delete from search_index_state;
insert into search_index_state (fingerprint, built_at) values ($fingerprint, current_timestamp);
