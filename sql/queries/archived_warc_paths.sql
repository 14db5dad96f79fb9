-- archived_warc_paths: every WARC file some raw record points at, as stored, and every file
-- the maintenance flow read through (all its responses recorded from another file)
select distinct warc_path from raw_records
union
select warc_path from indexed_archive_files
