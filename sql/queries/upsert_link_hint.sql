-- upsert_link_hint: a feed item's or news sitemap's title and date for a URL (latest wins)
insert into link_hints (url, source, source_url, title, published_at) values (?, ?, ?, ?, ?)
on conflict (url) do update set
    source = excluded.source,
    source_url = excluded.source_url,
    title = coalesce(excluded.title, link_hints.title),
    published_at = coalesce(excluded.published_at, link_hints.published_at)
