-- forget_site_lines: the recorded edge lines of the batch's articles (stored again, or gone)
delete from site_lines where article_id in (select article_id from batch)
