-- exportable_tables: the tables and views users query (not the bookkeeping of migrations,
-- incremental grouping or the search index)
select table_name
from information_schema.tables
where table_schema = 'main'
  and table_catalog = current_database()
  and table_name not in (
      'schema_migrations', 'copy_fingerprints', 'term_counts',
      'story_vectors', 'site_lines', 'site_lines_backfill', 'indexed_archive_files'
  )
order by table_type, table_name
