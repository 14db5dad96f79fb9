-- replace_fingerprints: the batch's articles get their (new) copy fingerprints
delete from copy_fingerprints where article_id in (select article_id from batch);
insert into copy_fingerprints
select article_id, unnest(fingerprints) as fingerprint from batch;
