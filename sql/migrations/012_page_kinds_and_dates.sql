-- 012_page_kinds_and_dates: each article's dates as the page states them, and what kind of
-- page each rejection is

-- articles.published_day: the publisher's calendar day (in the page's own offset, not UTC);
-- published_utc_offset_minutes: that offset, when the page wrote its date with one;
-- modified_at: when the page says it was last updated (never taken as its publication);
-- date_source: where the date was read: json-ld, meta, microdata, url, byline, htmldate
alter table articles add column published_day date;
alter table articles add column published_utc_offset_minutes integer;
alter table articles add column modified_at timestamptz;
alter table articles add column date_source varchar;

-- rejections.page_kind: what the page is instead of an article (listing, collection,
-- product, service, paywall, ...); null when the page says nothing of its kind
alter table rejections add column page_kind varchar;
