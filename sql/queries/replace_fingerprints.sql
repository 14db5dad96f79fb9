-- replace_fingerprints: the batch's articles get their (new) copy fingerprints; the batch
-- holds a row an article and key, and one row not keyed for an article with no key
delete from copy_fingerprints where article_id in (select article_id from batch);
insert into copy_fingerprints
select article_id, fingerprint from batch where keyed;
