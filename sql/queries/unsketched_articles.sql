-- unsketched_articles: grouped articles with no copy fingerprints (an archive whose
-- fingerprints a migration cleared); pending articles get theirs when they are grouped
select a.article_id
from articles as a
anti join copy_fingerprints as f using (article_id)
where a.grouped_sha256 = a.text_sha256
order by a.article_id
