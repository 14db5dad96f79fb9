-- 020_gone_articles: articles whose page answered 404 Not Found or 410 Gone when it was last
-- fetched (taken down, withdrawn, or moved without a redirect). The archive keeps the text
-- as it was last archived; a later fetch that works takes the article off the list.
-- An article's page is its address and the address its record was fetched from.
create view gone_articles as
with pages as (
    select article_id, url from articles
    union
    select a.article_id, r.url from articles as a join raw_records as r using (record_id)
),
attempts as (
    select p.article_id,
           max(f.fetched_at) as last_fetched_at,
           arg_max(f.status_code, f.fetched_at) as status_code,
           max(f.fetched_at) filter (where f.error is null) as last_worked_at
    from pages as p join fetches as f on f.url = p.url
    group by p.article_id
)
select a.article_id, a.url, a.domain, a.title, t.status_code,
       min(f.fetched_at) as gone_since,
       t.last_fetched_at,
       a.fetched_at as archived_at
from articles as a
join attempts as t using (article_id)
join pages as p using (article_id)
join fetches as f
  on f.url = p.url
 and f.status_code in (404, 410)
 and f.fetched_at > coalesce(t.last_worked_at, '-infinity'::timestamptz)
where t.status_code in (404, 410)
group by all
