-- identity_contenders: for the articles in hand (the batch: article_id, record_id), the
-- record that holds each of them now ('held': with the article's identity URL and when its
-- record was fetched), and the URL each record was fetched from
select 'held' as side, a.article_id, a.record_id, r.url as fetched_url, a.url, a.fetched_at
from articles as a
left join raw_records as r on r.record_id = a.record_id
where a.article_id in (select article_id from batch)
union all
select 'new' as side, b.article_id, b.record_id, r.url as fetched_url, null, null
from batch as b
left join raw_records as r on r.record_id = b.record_id
