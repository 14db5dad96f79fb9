-- fts/index_search_batch: add the articles of search_batch_terms to the index: their new
-- terms to dict, a doc each (its digest from search_index_diff), their term counts
insert into fts_main_articles.dict (termid, term)
select (select coalesce(max(termid), -1) from fts_main_articles.dict)
       + row_number() over (order by term),
       term
from (select distinct term from search_batch_terms where term is not null) as batch_terms
where term not in (select term from fts_main_articles.dict);

insert into fts_main_articles.docs (docid, name, digest, len)
with batch_docs as (
    select article_id, sum(tf) as len
    from search_batch_terms
    group by article_id
)
select (select coalesce(max(docid), -1) from fts_main_articles.docs)
       + row_number() over (order by batch_docs.article_id),
       batch_docs.article_id,
       diff.digest,
       batch_docs.len
from batch_docs
join search_index_diff as diff on diff.article_id = batch_docs.article_id;

insert into fts_main_articles.terms (docid, fieldid, termid, tf)
select docs.docid, batch_terms.fieldid, dict.termid, batch_terms.tf
from search_batch_terms as batch_terms
join fts_main_articles.docs as docs on docs.name = batch_terms.article_id
join fts_main_articles.dict as dict on dict.term = batch_terms.term;
