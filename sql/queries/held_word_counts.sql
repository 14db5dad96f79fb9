-- held_word_counts: for the batch's articles (article_id), the record that holds each now,
-- when that record was fetched, and the word count of the text it gave
select a.article_id, a.record_id, a.fetched_at, a.word_count
from articles as a
semi join batch using (article_id)
