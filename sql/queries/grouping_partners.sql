-- grouping_partners: (pending article, article elsewhere in the archive that may be its
-- copy, how): the same text or a canonical link between them ("sure"), or enough shared
-- copy fingerprints ("candidate", to be verified; a fingerprint on more than $max_posting
-- pages is boilerplate and proposes nothing)
with pending as (
    select article_id, url, canonical_url, text_sha256
    from articles
    where grouped_sha256 is distinct from text_sha256
),
mine as (
    select f.article_id, f.fingerprint
    from copy_fingerprints as f
    semi join pending using (article_id)
),
usable as (
    select fingerprint
    from copy_fingerprints
    where fingerprint in (select fingerprint from mine)
    group by fingerprint
    having count(*) between 2 and $max_posting
),
shared as (
    select m.article_id as pending_id, o.article_id
    from mine as m
    join usable using (fingerprint)
    join copy_fingerprints as o using (fingerprint)
    where o.article_id not in (select article_id from pending)
    group by all
    having count(*) >= $min_shared
)
select pending_id, article_id, 'candidate' as how from shared
union
select p.article_id as pending_id, a.article_id, 'sure' as how
from articles as a
join pending as p
  on a.article_id not in (select article_id from pending)
 and (a.text_sha256 = p.text_sha256 or a.url = p.canonical_url or a.canonical_url = p.url)
