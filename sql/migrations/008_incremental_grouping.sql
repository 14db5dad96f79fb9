-- 008_incremental_grouping: a run groups only what is new, against what is near it

-- copy_fingerprints: a content-defined sample of each article's shingle hashes, so a new
-- article finds the copies it has anywhere in the archive without rereading their texts
create table copy_fingerprints (
    article_id   varchar not null,
    fingerprint  ubigint not null
);

-- articles.grouped_sha256: the text an article was last grouped with; an article whose
-- text is new or changed (grouped_sha256 is distinct from text_sha256) is grouped next run.
-- Archives from before this migration are grouped once more, whole, on their next run.
alter table articles add column grouped_sha256 varchar;
