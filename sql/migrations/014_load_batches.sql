-- 014_load_batches: every chunk a run commits carries a batch id (a digest of its rows),
-- recorded in the chunk's own transaction, so a chunk applied again (a retry after a lost
-- commit acknowledgement) adds nothing: DuckLake has no keys to refuse a second copy

create table load_batches (
    batch_id      varchar primary key,
    run_id        varchar not null,
    rows          integer not null,
    committed_at  timestamptz not null
);
