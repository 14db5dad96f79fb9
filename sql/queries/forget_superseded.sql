-- forget_superseded: records that hold their article again (the batch: record_id)
delete from superseded_records where record_id in (select record_id from batch)
