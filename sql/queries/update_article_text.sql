-- update_article_text: an article's text with its site's furniture taken out (the grouping
-- sees the new hash and groups it again)
update articles set
    text = batch.text,
    text_sha256 = batch.text_sha256,
    word_count = batch.word_count
from batch
where articles.article_id = batch.article_id
