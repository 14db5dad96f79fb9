-- pending_by_site: the articles waiting to be grouped, site by site (a pass that reads each
-- site's titles reads them once, not once for every chunk of texts)
select article_id
from articles
where grouped_sha256 is distinct from text_sha256
order by domain, article_id
