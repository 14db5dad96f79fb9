-- insert_discovery_problem: a feed, sitemap, URL list or WARC record that could not be read
insert into discovery_problems (run_id, source, reason, detail, noted_at) values (?, ?, ?, ?, ?)
