-- insert_site_furniture: lines just found to be a site's furniture
insert into site_furniture (domain, line_key, line, pages, found_at)
select domain, line_key, line, pages, found_at from batch
