-- search_index_fingerprint: what the full-text index was last built over
select fingerprint from search_index_state
