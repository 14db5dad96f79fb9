-- unfinished_runs: runs that started and never finished (killed, crashed), but the given one
select run_id from runs where finished_at is null and run_id <> $run_id order by started_at
