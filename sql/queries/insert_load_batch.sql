-- insert_load_batch: a chunk is committed, in the same transaction as its rows
insert into load_batches (batch_id, run_id, rows, committed_at)
values ($batch_id, $run_id, $rows, current_timestamp)
