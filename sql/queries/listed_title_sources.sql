-- listed_title_sources: the batch's articles, as the listed-titles pass reads them (a page
-- never grouped may still turn out to be a list of the site's articles, and be rejected)
select
    a.article_id,
    a.record_id,
    a.url,
    a.domain,
    a.title,
    a.text,
    a.grouped_sha256 is null as never_grouped,
    coalesce(a.inner_link_lines, []) as inner_links
from articles as a
semi join batch using (article_id)
