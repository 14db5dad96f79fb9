-- fts/scratch_table: an empty table to build a throwaway fts index on
create table scratch (id integer, body varchar)
