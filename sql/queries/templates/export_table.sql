-- templates/export_table: one table of the archive to a Parquet file
-- (a template: wirehouse.export fills in {table}, from its list of tables, and {path})
copy (select * from {table}) to '{path}' (format parquet)
