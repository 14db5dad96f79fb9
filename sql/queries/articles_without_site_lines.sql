-- articles_without_site_lines: articles stored before the archive recorded edge lines (or
-- whose text has no line long enough to record)
select a.article_id
from articles as a
anti join (select distinct article_id from site_lines) as l using (article_id)
order by a.article_id
