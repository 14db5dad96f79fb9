-- 015_incremental_search_index: the full-text index as plain tables that a run updates for
-- the articles added, changed or removed since the last update (tasks/search_index.py), in
-- place of the one DuckDB's fts extension rebuilt whole (pragma create_fts_index) each time
-- anything changed. Same schema name, tokens, stopwords, stemmer and BM25 as that index, so
-- `fts_main_articles.match_bm25(article_id, 'terms')` answers as before; its macros need the
-- fts extension's stem(), so the index update creates them (tasks.search_index). An archive
-- from before this migration is indexed once more, whole, on its next run.

drop schema if exists fts_main_articles cascade;
drop table search_index_state;
create schema fts_main_articles;

-- docs: one row per indexed article
create table fts_main_articles.docs (
    docid   bigint not null,
    name    varchar not null,  -- the article_id
    digest  varchar not null,  -- of the title and text it was indexed from
    len     bigint not null    -- its terms, title and text, stopwords left out
);

-- dict: every term ever indexed (terms no article holds any more stay: they match nothing)
create table fts_main_articles.dict (
    termid  bigint not null,
    term    varchar not null   -- a stemmed word
);

-- terms: how often each term occurs in each field of each article
create table fts_main_articles.terms (
    docid    bigint not null,
    fieldid  bigint not null,
    termid   bigint not null,
    tf       bigint not null
);

-- fields: the articles' columns that are indexed
create table fts_main_articles.fields (
    fieldid  bigint not null,
    field    varchar not null
);
insert into fts_main_articles.fields (fieldid, field) values (0, 'title'), (1, 'text');

-- stopwords: words left out of the index (the fts extension's English list, copied on the
-- first update)
create table fts_main_articles.stopwords (
    sw  varchar not null
);
