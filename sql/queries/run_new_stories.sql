-- run_new_stories: the stories a run created, with their figures and lead
select s.story_id,
       s.title,
       strftime(s.first_published_at, '%Y-%m-%d') as first_published,
       s.article_count as articles,
       s.domain_count as domains,
       lead.domain as lead_domain,
       lead.url as lead_url
from stories as s
join runs as r on r.run_id = ?
join articles as lead on lead.article_id = s.lead_article_id
where s.created_at >= r.started_at
order by s.first_published_at desc nulls last, s.story_id
