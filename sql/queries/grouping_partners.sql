-- grouping_partners: (pending article, article elsewhere in the archive that may be its
-- copy, how): the same text or a canonical link between them ("sure"), or at least
-- $min_shared shared MinHash band keys ("candidate", to be verified), at most
-- $max_candidates per pending article, those sharing the most keys first. A key held by
-- more than $max_posting stored articles offers only its first $max_posting of them, so a
-- boilerplate key costs little and a wire text carried everywhere still meets the same
-- few carriers of it.
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
holders as (
    select o.fingerprint, o.article_id
    from copy_fingerprints as o
    semi join mine using (fingerprint)
    anti join pending using (article_id)
    qualify row_number() over (partition by o.fingerprint order by o.article_id) <= $max_posting
),
shared as (
    select m.article_id as pending_id, h.article_id, count(*) as keys
    from mine as m
    join holders as h using (fingerprint)
    group by m.article_id, h.article_id
    having count(*) >= $min_shared
    qualify row_number() over (partition by m.article_id order by keys desc, h.article_id)
            <= $max_candidates
),
-- one equality join a way of being sure (an OR of them would pair every pending article
-- with every stored one)
sure as (
    select p.article_id as pending_id, a.article_id
    from pending as p join articles as a on a.text_sha256 = p.text_sha256
    union
    select p.article_id as pending_id, a.article_id
    from pending as p join articles as a on a.url = p.canonical_url
    union
    select p.article_id as pending_id, a.article_id
    from pending as p join articles as a on a.canonical_url = p.url
)
select pending_id, article_id, 'candidate' as how from shared
union
select pending_id, article_id, 'sure' as how
from sure
anti join pending using (article_id)
