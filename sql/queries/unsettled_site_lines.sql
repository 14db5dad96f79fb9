-- unsettled_site_lines: the articles whose lines were stored since the last furniture pass
select distinct article_id from site_lines where not settled order by article_id
