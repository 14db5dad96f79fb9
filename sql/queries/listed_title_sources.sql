-- listed_title_sources: the batch's articles, as the listed-titles pass reads them
select
    a.article_id,
    a.record_id,
    a.url,
    a.domain,
    a.title,
    a.text,
    coalesce(a.inner_link_lines, []) as inner_links
from articles as a
semi join batch using (article_id)
