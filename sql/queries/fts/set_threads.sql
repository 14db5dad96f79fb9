-- fts/set_threads: run queries on $threads threads in this connection
set threads = $threads
