-- insert_raw_record: response bodies stored in the WARC archive (stored once per url+body)
insert into raw_records (
    record_id, url, warc_path, warc_offset, warc_length, payload_sha256,
    status_code, content_type, fetched_at, origin
)
select record_id, url, warc_path, warc_offset, warc_length, payload_sha256,
       status_code, content_type, fetched_at, origin
from batch
on conflict (record_id) do nothing
