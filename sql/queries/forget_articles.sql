-- forget_articles: articles whose archived page is now rejected
delete from articles where record_id in (select record_id from batch)
