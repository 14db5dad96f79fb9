-- insert_fetch: fetch attempts, from the batch being loaded
insert into fetches (
    run_id, url, fetched_at, final_url, status_code, error, detail, redirects,
    content_type, record_id, elapsed_ms, etag, last_modified, attempt, retry_after_s
)
select run_id, url, fetched_at, final_url, status_code, error, detail, redirects,
       content_type, record_id, elapsed_ms, etag, last_modified, attempt, retry_after_s
from batch
