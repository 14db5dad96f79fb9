-- insert_run: a run starts
insert into runs (run_id, started_at, parameters) values (?, ?, ?)
on conflict (run_id) do nothing
