-- ducklake/expire_snapshots: a DuckLake's snapshots older than $seconds are dropped (the data
-- files no snapshot needs any more go next: ducklake/cleanup_files)
call ducklake_expire_snapshots('lake', older_than => now() - to_seconds($seconds::double))
