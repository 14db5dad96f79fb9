-- 004_link_hints: what feeds and sitemaps said about the URLs they listed

create table link_hints (
    url           varchar primary key,
    source        varchar not null,      -- 'feed' or 'sitemap'
    source_url    varchar,
    title         varchar,
    published_at  timestamptz
);
