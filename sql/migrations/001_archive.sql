-- 001_archive: the archive's tables. Keys are stable hashes, so every load is an upsert.

-- runs: one row per archive run, with its parameters and what it did
create table runs (
    run_id       varchar primary key,
    started_at   timestamptz not null,
    finished_at  timestamptz,
    parameters   json,
    summary      json
);

-- raw_records: every response body kept in the WARC archive, and where to find it
create table raw_records (
    record_id       varchar primary key,   -- sha256(url, payload): one body per URL stored once
    url             varchar not null,
    warc_path       varchar not null,
    warc_offset     bigint not null,
    warc_length     bigint not null,
    payload_sha256  varchar not null,
    status_code     integer,
    content_type    varchar,
    fetched_at      timestamptz not null,
    origin          varchar not null       -- 'fetch' or 'warc'
);

-- fetches: one row per fetch attempt, failed or not
create sequence fetch_id_seq;
create table fetches (
    fetch_id       bigint primary key default nextval('fetch_id_seq'),
    run_id         varchar,
    url            varchar not null,
    fetched_at     timestamptz not null,
    final_url      varchar,
    status_code    integer,
    error          varchar,                -- a reason code; null when the fetch worked
    detail         varchar,
    redirects      varchar[],
    content_type   varchar,
    record_id      varchar,
    elapsed_ms     integer,
    etag           varchar,
    last_modified  varchar
);
create index fetches_url on fetches (url);

-- discovery_problems: feeds, sitemaps and WARC records that could not be read
create table discovery_problems (
    run_id      varchar,
    source      varchar not null,
    reason      varchar not null,
    detail      varchar,
    noted_at    timestamptz not null
);

-- articles: one row per article (however many URLs lead to it)
create table articles (
    article_id         varchar primary key,  -- hash of the article's identity URL
    url                varchar not null,
    canonical_url      varchar,
    domain             varchar not null,
    title              varchar,
    author             varchar,
    published_at       timestamptz,          -- page_date unless it is a republish date
    republished_at     timestamptz,
    page_date          timestamptz,          -- the date the page claims
    language           varchar,
    sitename           varchar,
    text               varchar not null,
    text_sha256        varchar not null,
    word_count         integer not null,
    boilerplate_ratio  double,
    wire_marker        varchar,
    copy_group_id      varchar,
    story_id           varchar,
    is_group_origin    boolean,
    record_id          varchar not null,
    fetched_at         timestamptz not null,
    first_seen_at      timestamptz not null,
    extracted_at       timestamptz not null
);

-- rejections: fetched pages that yielded no article, and why
create table rejections (
    record_id    varchar primary key,
    url          varchar not null,
    reason       varchar not null,
    detail       varchar,
    rejected_at  timestamptz not null
);

-- copy_groups: articles that are copies of one text, with the origin picked by evidence
create table copy_groups (
    copy_group_id      varchar primary key,
    origin_article_id  varchar not null,
    member_count       integer not null,
    story_id           varchar not null
);

-- stories: one news event, its articles counted, its lead never an aggregator's copy
create table stories (
    story_id            varchar primary key,
    title               varchar,
    first_published_at  timestamptz,
    article_count       integer not null,
    domain_count        integer not null,
    lead_article_id     varchar not null,
    created_at          timestamptz not null,
    updated_at          timestamptz not null
);

-- article_links: why two articles were joined (kind: same_url, same_text, near_copy)
create table article_links (
    a      varchar not null,
    b      varchar not null,
    kind   varchar not null,
    score  double,
    primary key (a, b, kind)
);
