-- load_batch_applied: whether a chunk with this batch id was committed already
select count(*) > 0 from load_batches where batch_id = $batch_id
