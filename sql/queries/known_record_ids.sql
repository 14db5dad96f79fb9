-- known_record_ids: records already archived for some URLs (their bodies need no new copy)
select record_id from raw_records where url in (select url from batch)
