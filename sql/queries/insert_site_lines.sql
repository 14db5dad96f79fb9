-- insert_site_lines: the edge lines of articles just stored, not yet weighed
insert into site_lines (domain, line_key, article_id, page_key, settled)
select domain, line_key, article_id, page_key, false
from batch
