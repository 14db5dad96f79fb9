-- upsert_article: extracted articles; a refetch with new text updates one, first_seen_at stays
insert into articles (
    article_id, url, canonical_url, domain, title, author, page_date, published_at,
    published_day, published_utc_offset_minutes, modified_at, date_source,
    language, sitename, text, text_sha256, word_count, boilerplate_ratio, wire_marker,
    record_id, fetched_at, first_seen_at, extracted_at
)
select article_id, url, canonical_url, domain, title, author, page_date, published_at,
       published_day, published_utc_offset_minutes, modified_at, date_source,
       language, sitename, text, text_sha256, word_count, boilerplate_ratio, wire_marker,
       record_id, fetched_at, first_seen_at, extracted_at
from batch
on conflict (article_id) do update set
    url = excluded.url,
    canonical_url = excluded.canonical_url,
    title = excluded.title,
    author = excluded.author,
    page_date = excluded.page_date,
    published_day = excluded.published_day,
    published_utc_offset_minutes = excluded.published_utc_offset_minutes,
    modified_at = excluded.modified_at,
    date_source = excluded.date_source,
    language = excluded.language,
    sitename = excluded.sitename,
    text = excluded.text,
    text_sha256 = excluded.text_sha256,
    word_count = excluded.word_count,
    boilerplate_ratio = excluded.boilerplate_ratio,
    wire_marker = excluded.wire_marker,
    record_id = excluded.record_id,
    fetched_at = excluded.fetched_at,
    extracted_at = excluded.extracted_at
