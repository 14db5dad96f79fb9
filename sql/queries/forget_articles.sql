-- forget_articles: articles whose archived page is now rejected
delete from site_lines where article_id in (
    select article_id from articles where record_id in (select record_id from batch)
);
delete from articles where record_id in (select record_id from batch)
