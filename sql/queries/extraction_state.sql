-- extraction_state: every archived response that was extracted, with what it gave (the
-- hash of its text as extracted, before any furniture of its site was taken out)
select r.record_id, r.url, r.warc_path, r.warc_offset, r.warc_length, r.content_type,
       r.fetched_at, coalesce(a.extracted_sha256, a.text_sha256) as article_sha256, j.reason as rejection
from raw_records as r
left join articles as a on a.record_id = r.record_id
left join rejections as j on j.record_id = r.record_id
where a.article_id is not null or j.record_id is not null
order by r.fetched_at, r.record_id
