-- copy_fingerprints_of: the MinHash band keys stored for each of the batch's articles
select f.article_id, list(f.fingerprint order by f.fingerprint) as fingerprints
from copy_fingerprints as f
semi join batch using (article_id)
group by f.article_id
