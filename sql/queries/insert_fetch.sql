-- insert_fetch: one fetch attempt
insert into fetches (
    run_id, url, fetched_at, final_url, status_code, error, detail, redirects,
    content_type, record_id, elapsed_ms, etag, last_modified, attempt, retry_after_s
) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
