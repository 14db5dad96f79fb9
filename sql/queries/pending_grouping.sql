-- pending_grouping: articles whose text was never grouped, or changed since
select article_id
from articles
where grouped_sha256 is distinct from text_sha256
order by article_id
