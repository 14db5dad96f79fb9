-- latest_validators: the ETag / Last-Modified of each URL's last good fetch whose body we kept
select f.url, f.etag, f.last_modified
from fetches as f
where f.url in (select url from batch)
  and f.status_code = 200
  and f.record_id is not null
  and (f.etag is not null or f.last_modified is not null)
  and exists (select 1 from raw_records as r where r.record_id = f.record_id)
qualify row_number() over (partition by f.url order by f.fetched_at desc) = 1
