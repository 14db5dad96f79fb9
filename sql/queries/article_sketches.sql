-- article_sketches: what dedupe and clustering read of the batch's articles, the texts empty
-- unless with_texts (grouping a big archive reads them through article_texts, a window at a
-- time, rather than hold them all); a page with no date of its own takes the date its feed
-- or news sitemap gave it (unordered, so that the rows stream rather than all their texts
-- being sorted first: store.py sorts them)
select a.article_id, a.url, a.canonical_url, a.domain, a.title,
       coalesce(a.page_date, h.published_at) as page_date,
       if($with_texts, a.text, '') as text,
       a.text_sha256, a.word_count, a.boilerplate_ratio, a.wire_marker, a.first_seen_at
from articles as a
semi join batch using (article_id)
left join link_hints as h on h.url = a.url
