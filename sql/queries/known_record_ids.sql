-- known_record_ids: the records these URLs led to, stored under them or under the address
-- they redirected to (a body we hold needs no new copy), and whether each gave way to
-- another record of its article (a page back to an earlier text is that text again)
select r.record_id, s.record_id is not null as superseded
from raw_records as r
left join superseded_records as s on s.record_id = r.record_id
where r.url in (select url from batch)
   or r.record_id in (
       select record_id from fetches
       where url in (select url from batch) and record_id is not null
   )
