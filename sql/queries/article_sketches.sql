-- article_sketches: what dedupe and clustering read of every article
select article_id, url, canonical_url, domain, title, page_date, text, text_sha256,
       word_count, boilerplate_ratio, wire_marker, first_seen_at
from articles
order by article_id
