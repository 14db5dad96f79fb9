-- all_record_ids: every archived response's key
select record_id from raw_records
