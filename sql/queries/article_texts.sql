-- article_texts: the texts of the batch's articles (grouping reads a window of them at a time)
select a.article_id, a.text
from articles as a
semi join batch using (article_id)
