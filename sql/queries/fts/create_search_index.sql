-- fts/create_search_index: (re)build the full-text index over the articles' titles and texts
-- (queries in fts/ need the fts extension loaded: tasks.search_index.load_fts)
pragma create_fts_index('articles', 'article_id', 'title', 'text', overwrite = 1)
