-- fts/extension_stopwords: the fts extension's own English stopwords, as its pragma copies
-- them into an index (run on a scratch in-memory database holding table scratch)
pragma create_fts_index('scratch', 'id', 'body');
select sw from fts_main_scratch.stopwords order by sw
