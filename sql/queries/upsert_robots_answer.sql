-- upsert_robots_answer: what an origin answered for /robots.txt during a run
insert into robots_answers (run_id, origin, status_code, body, error) values (?, ?, ?, ?, ?)
on conflict (run_id, origin) do nothing
