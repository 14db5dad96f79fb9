-- 005_views: views for the questions people ask of the archive (see README: Querying the archive)

-- latest_stories: newest stories first, with their counts, copies and lead article
create view latest_stories as
with copies_per_story as (
    select story_id, count(*) as copy_count
    from articles
    where not is_group_origin
    group by story_id
)
select s.story_id,
       s.title,
       s.first_published_at,
       s.article_count,
       s.domain_count,
       coalesce(c.copy_count, 0) as copy_count,
       s.lead_article_id,
       lead.domain as lead_domain,
       lead.url as lead_url,
       s.updated_at
from stories as s
left join copies_per_story as c on c.story_id = s.story_id
left join articles as lead on lead.article_id = s.lead_article_id
order by s.first_published_at desc nulls last, s.story_id;

-- wire_carriers: every outlet that carried a text found on more than one page, in order of appearance
create view wire_carriers as
with grouped_articles as (
    select a.*,
           coalesce(a.published_at, a.republished_at) as appeared_at,
           count(*) over (partition by a.copy_group_id) as group_size
    from articles as a
    where a.copy_group_id is not null
)
select copy_group_id,
       row_number() over (
           partition by copy_group_id
           order by appeared_at nulls last, is_group_origin desc, fetched_at, article_id
       ) as appearance,
       group_size,
       domain,
       url,
       title,
       published_at,
       republished_at,
       appeared_at,
       is_group_origin,
       article_id,
       story_id
from grouped_articles
where group_size > 1
order by copy_group_id, appearance;

-- origins_and_copies: each copy group's origin article and the domains that copied it
create view origins_and_copies as
with copies as (
    select g.copy_group_id,
           count(a.article_id) as copy_count,
           coalesce(
               list(distinct a.domain order by a.domain) filter (where a.article_id is not null),
               []
           ) as copy_domains
    from copy_groups as g
    left join articles as a
        on a.copy_group_id = g.copy_group_id and a.article_id <> g.origin_article_id
    group by g.copy_group_id
)
select g.copy_group_id,
       g.story_id,
       g.member_count,
       g.origin_article_id,
       origin.domain as origin_domain,
       origin.url as origin_url,
       origin.title as origin_title,
       coalesce(origin.published_at, origin.republished_at) as origin_published_at,
       c.copy_count,
       c.copy_domains
from copy_groups as g
join copies as c on c.copy_group_id = g.copy_group_id
left join articles as origin on origin.article_id = g.origin_article_id
order by c.copy_count desc, origin_published_at nulls last, g.copy_group_id;

-- aggregator_domains: per domain, how much of what it carries is another domain's text
create view aggregator_domains as
with articles_with_origin as (
    select a.domain,
           a.boilerplate_ratio,
           not a.is_group_origin and origin.domain <> a.domain as copies_other_domain
    from articles as a
    left join copy_groups as g on g.copy_group_id = a.copy_group_id
    left join articles as origin on origin.article_id = g.origin_article_id
)
select domain,
       count(*) as articles,
       count(*) filter (where copies_other_domain) as copies_of_others,
       round(count(*) filter (where copies_other_domain) / count(*), 3) as copy_share,
       round(avg(boilerplate_ratio), 3) as avg_boilerplate_ratio
from articles_with_origin
group by domain
order by copy_share desc, articles desc, domain;

-- fetch_health: per host, how fetching went: answers, refusals, failures by reason, timing
-- (a 4xx for robots.txt other than 429 is an answer, "no rules here", so it counts as a success)
create view fetch_health as
with attempts as (
    select lower(regexp_extract(
               url, '^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/?#]*@)?(\[[^\]]*\]|[^/:?#]+)', 1
           )) as host,
           case
               when error is null and status_code = 304 then 'not_modified'
               when error is null then 'success'
               when error = 'http_429' then 'rate_limited'
               when error in ('robots_disallowed', 'crawl_delay_too_long') then 'robots_refused'
               when error = 'timeout' then 'timeout'
               when regexp_matches(error, '^http_4\d\d$') and url like '%/robots.txt' then 'success'
               else 'other_failure'
           end as outcome,
           fetched_at,
           elapsed_ms,
           attempt,
           retry_after_s
    from fetches
)
select host,
       count(*) as attempts,
       count(*) filter (where outcome = 'success') as successes,
       count(*) filter (where outcome = 'not_modified') as not_modified,
       count(*) filter (where outcome not in ('success', 'not_modified')) as failures,
       count(*) filter (where outcome = 'rate_limited') as rate_limited,
       count(*) filter (where outcome = 'robots_refused') as robots_refused,
       count(*) filter (where outcome = 'timeout') as timeouts,
       count(*) filter (where outcome = 'other_failure') as other_failures,
       count(*) filter (where attempt > 1) as retries,
       max(retry_after_s) as max_retry_after_s,
       median(elapsed_ms) as median_elapsed_ms,
       round(avg(elapsed_ms), 1) as avg_elapsed_ms,
       max(fetched_at) as last_fetched_at
from attempts
group by host
order by failures desc, host;
