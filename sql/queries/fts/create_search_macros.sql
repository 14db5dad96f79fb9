-- fts/create_search_macros: the index's tokenizer and its BM25 score, as the fts extension's
-- pragma create_fts_index('articles', 'article_id', 'title', 'text') defines them (lower
-- case, accents stripped, digits and punctuation split on, porter stems), over the tables
-- of migration 015: terms hold a count per article and field, and the corpus figures
-- (articles, their average length, each query term's article count) are worked out from
-- the tables at query time, so no update has to keep them
create or replace macro fts_main_articles.tokenize(s) as
    string_split_regex(
        regexp_replace(
            lower(strip_accents(s::varchar)),
            '[0-9!@#$%^&*()_+={}\[\]:;<>,.?~\\/\|''''"`-]+', ' ', 'g'
        ),
        '\s+'
    );

create or replace macro fts_main_articles.match_bm25(
    docname, query_string, fields := null, k := 1.2, b := 0.75, conjunctive := false
) as (
    with tokens as (
        select distinct stem(unnest(fts_main_articles.tokenize(query_string)), 'porter') as t
    ),
    fieldids as (
        select fieldid
        from fts_main_articles.fields
        where case when fields is null then 1
                   else field in (select * from (select unnest(string_split(fields, ',')))) end
    ),
    qtermids as (
        select dict.termid
        from fts_main_articles.dict as dict, tokens
        where dict.term = tokens.t
    ),
    qterms as (
        select termid, docid, fieldid, tf
        from fts_main_articles.terms
        where termid in (select termid from qtermids)
    ),
    term_df as (
        select termid, count(distinct docid) as df
        from qterms
        group by termid
    ),
    term_tf as (
        select termid, docid, sum(tf) as tf
        from qterms
        where case when fields is null then 1 else fieldid in (select * from fieldids) end
        group by docid, termid
    ),
    cdocs as (
        select docid
        from term_tf
        group by docid
        having case when conjunctive then count(distinct termid) = (select count(*) from tokens)
                    else 1 end
    ),
    corpus as (
        select count(*) as num_docs, avg(len) as avgdl
        from fts_main_articles.docs
    ),
    subscores as (
        select docs.docid,
               log((corpus.num_docs - term_df.df + 0.5) / (term_df.df + 0.5) + 1)
               * ((term_tf.tf * (k + 1))
                  / (term_tf.tf + k * (1 - b + b * (docs.len / corpus.avgdl)))) as subscore
        from term_tf
        join cdocs on cdocs.docid = term_tf.docid
        join term_df on term_df.termid = term_tf.termid
        join fts_main_articles.docs as docs on docs.docid = term_tf.docid
        cross join corpus
    ),
    scores as (
        select docid, sum(subscore) as score
        from subscores
        group by docid
    )
    select scores.score
    from scores
    join fts_main_articles.docs as docs on docs.docid = scores.docid
    where docs.name = docname
);
