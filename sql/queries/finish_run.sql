-- finish_run: a run ends with its summary
update runs set finished_at = ?, summary = ? where run_id = ?
