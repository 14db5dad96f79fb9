-- 019_indexed_archive_files: archive files the maintenance flow read through, whose
-- responses were all recorded already, from another file (a run killed before its first
-- commit, whose pages the next run fetched again): no raw record points at such a file,
-- which was reported as unindexed on every run for ever
create table indexed_archive_files (
    warc_path   varchar primary key,  -- as raw_records.warc_path stores a path
    responses   integer not null,     -- the responses it holds
    indexed_at  timestamptz not null
);
