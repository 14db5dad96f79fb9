-- pending_records: archived responses that have not been turned into an article or a
-- rejection, nor given way to another response of their article
select r.record_id, r.url, r.warc_path, r.warc_offset, r.warc_length, r.content_type, r.fetched_at
from raw_records as r
where not exists (select 1 from articles as a where a.record_id = r.record_id)
  and not exists (select 1 from rejections as j where j.record_id = r.record_id)
  and not exists (select 1 from superseded_records as s where s.record_id = r.record_id)
order by r.fetched_at, r.record_id
