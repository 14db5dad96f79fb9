-- fts/threads: how many threads DuckDB runs a query on, in this connection
select current_setting('threads')
