-- furniture_holders: the articles to weigh: those whose new lines are furniture, and those
-- holding a line just found to be furniture
select distinct l.article_id
from site_lines as l
join batch as b on b.domain = l.domain and b.line_key = l.line_key
where b.just_found or not l.settled
order by l.article_id
