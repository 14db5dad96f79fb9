-- ducklake/cleanup_files: a DuckLake's data files that no snapshot kept for $seconds needs
call ducklake_cleanup_old_files('lake', older_than => now() - to_seconds($seconds::double))
