-- moved_articles: articles whose page moved (the batch: article_id, record_id of the
-- articles in hand): the URL their record was fetched from now redirects to a record in
-- hand of another article (a headline edited and its address with it, the old address
-- answering 301), and was fetched before it
select distinct y.article_id, y.record_id, b.article_id as moved_to
from batch as b
join fetches as f
  on f.record_id = b.record_id and f.final_url is not null and f.final_url <> f.url
join raw_records as r on r.url = f.url
join articles as y on y.record_id = r.record_id
where y.article_id <> b.article_id
  and y.fetched_at < f.fetched_at
