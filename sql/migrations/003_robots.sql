-- 003_robots: robots.txt answers of each run, so every step of a run reads them once

create table robots_answers (
    run_id       varchar not null,
    origin       varchar not null,
    status_code  integer,
    body         blob,
    error       varchar,
    primary key (run_id, origin)
);
