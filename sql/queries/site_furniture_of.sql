-- site_furniture_of: the furniture lines known of the sites of the batch's articles
select f.domain, f.line_key
from site_furniture as f
where f.domain in (select a.domain from articles as a semi join batch using (article_id))
