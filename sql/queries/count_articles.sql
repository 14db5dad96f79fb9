-- count_articles: how many articles the archive holds
select count(*) from articles
