-- replace_fingerprints: the batch's articles get their (new) copy fingerprints; batch_ids
-- holds each article once with its position, the batch a row an article (by position) and
-- key, and one row not keyed for an article with no key
delete from copy_fingerprints where article_id in (select article_id from batch_ids);
insert into copy_fingerprints
select i.article_id, b.fingerprint
from batch as b
join batch_ids as i using (pos)
where b.keyed
order by b.pos, b.fingerprint;
