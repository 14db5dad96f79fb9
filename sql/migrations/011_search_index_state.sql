-- 011_search_index_state: what the full-text index was built over, so that a run whose
-- articles did not change leaves it alone (DuckDB's fts index cannot be updated in place)
create table search_index_state (
    fingerprint  varchar not null,       -- articles_fingerprint when the index was built
    built_at     timestamptz not null
);
