-- site_titles: the titles of every article the archive holds of the batch's sites (domain)
select a.domain, a.article_id, a.title
from articles as a
semi join batch using (domain)
where a.title is not null
