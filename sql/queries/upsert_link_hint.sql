-- upsert_link_hint: feed items' and news sitemaps' titles and dates for URLs (latest wins)
insert into link_hints (url, source, source_url, title, published_at)
select url, source, source_url, title, published_at from batch
on conflict (url) do update set
    source = excluded.source,
    source_url = excluded.source_url,
    title = coalesce(excluded.title, link_hints.title),
    published_at = coalesce(excluded.published_at, link_hints.published_at)
