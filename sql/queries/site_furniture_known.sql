-- site_furniture_known: the furniture already known of the sites with lines not yet weighed
select f.domain, f.line_key
from site_furniture as f
semi join (select distinct domain from site_lines where not settled) as s using (domain)
