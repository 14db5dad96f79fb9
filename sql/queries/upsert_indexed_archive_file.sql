-- upsert_indexed_archive_file: archive files read through by the maintenance flow (the batch)
insert into indexed_archive_files (warc_path, responses, indexed_at)
select warc_path, responses, indexed_at from batch
on conflict (warc_path) do update set
    responses = excluded.responses,
    indexed_at = excluded.indexed_at
