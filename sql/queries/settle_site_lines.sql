-- settle_site_lines: the lines of the batch's articles have been weighed by a furniture pass
update site_lines set settled = true
where not settled and article_id in (select article_id from batch)
