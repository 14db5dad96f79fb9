-- upsert_article: extracted articles; a refetch with new text updates one, first_seen_at stays;
-- the text is as extracted (the furniture pass takes a site's furniture out of it later)
insert into articles (
    article_id, url, canonical_url, domain, title, author, page_date, published_at,
    published_day, published_utc_offset_minutes, modified_at, date_source,
    language, sitename, text, text_sha256, extracted_sha256, word_count, boilerplate_ratio,
    wire_marker, record_id, fetched_at, first_seen_at, extracted_at, inner_link_lines
)
select b.article_id, b.url, b.canonical_url, b.domain, b.title, b.author,
       -- a page that gives no date of its own takes the one its feed or news sitemap gave
       -- it (an instant: its day is the UTC day)
       coalesce(b.page_date, h.published_at) as page_date, b.published_at,
       coalesce(b.published_day, cast(timezone('UTC', h.published_at) as date)),
       b.published_utc_offset_minutes, b.modified_at,
       case when b.page_date is null and h.published_at is not null then h.source
            else b.date_source end,
       b.language, b.sitename, b.text, b.text_sha256, b.text_sha256, b.word_count,
       b.boilerplate_ratio,
       b.wire_marker, b.record_id, b.fetched_at, b.first_seen_at, b.extracted_at,
       b.inner_link_lines
from batch as b
left join link_hints as h on h.url = b.url
on conflict (article_id) do update set
    -- a headline edited or a date corrected, the text unchanged: grouped again, so that
    -- its story's title and first date follow (and its publication date is the page's
    -- until grouping finds a republish date again)
    published_at = case when articles.page_date is distinct from excluded.page_date
                        then excluded.published_at else articles.published_at end,
    grouped_sha256 = case when articles.title is distinct from excluded.title
                            or articles.page_date is distinct from excluded.page_date
                          then null else articles.grouped_sha256 end,
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
    extracted_sha256 = excluded.extracted_sha256,
    word_count = excluded.word_count,
    boilerplate_ratio = excluded.boilerplate_ratio,
    wire_marker = excluded.wire_marker,
    record_id = excluded.record_id,
    fetched_at = excluded.fetched_at,
    extracted_at = excluded.extracted_at,
    inner_link_lines = excluded.inner_link_lines
