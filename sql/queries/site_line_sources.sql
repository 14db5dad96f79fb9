-- site_line_sources: what the edge lines of the batch's articles are recorded from
select a.article_id, a.domain, a.title, a.text
from articles as a
semi join batch using (article_id)
