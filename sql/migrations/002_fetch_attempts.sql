-- 002_fetch_attempts: retries are numbered, and what the server asked us to wait is kept

alter table fetches add column attempt integer default 1;
alter table fetches add column retry_after_s double;
