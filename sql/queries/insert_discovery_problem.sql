-- insert_discovery_problem: feeds, sitemaps, URL lists or WARC records that could not be read
insert into discovery_problems (run_id, source, reason, detail, noted_at)
select run_id, source, reason, detail, noted_at from batch
