-- story_summary: every story with its lead and copy figures, and how many stories its story
-- line holds, newest first
select s.story_id,
       s.title,
       strftime(s.first_published_at, '%Y-%m-%d') as first_published,
       s.article_count as articles,
       s.domain_count as domains,
       (select count(*) from articles as a
         where a.story_id = s.story_id and not a.is_group_origin) as copies,
       lead.domain as lead_domain,
       coalesce(l.story_count, 1) as line_stories
from stories as s
join articles as lead on lead.article_id = s.lead_article_id
left join storylines as l using (storyline_id)
order by s.first_published_at desc nulls last, s.story_id
