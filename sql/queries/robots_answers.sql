-- robots_answers: the robots.txt answers already read in a run
select origin, status_code, body, error from robots_answers where run_id = ?
