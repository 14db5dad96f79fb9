-- archived_warc_paths: every WARC file some raw record points at, as stored
select distinct warc_path from raw_records
