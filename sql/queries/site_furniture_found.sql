-- site_furniture_found: of the sites with lines not yet weighed, the lines that enough of
-- their pages carry (copies of a page, which share its title, count once), and how many
with sites as (
    select distinct domain from site_lines where not settled
), lines as (
    select l.domain, l.line_key, l.page_key
    from site_lines as l
    semi join sites using (domain)
), site_pages as (
    select domain, count(distinct page_key) as pages from lines group by domain
), support as (
    select domain, line_key, count(distinct page_key) as pages
    from lines
    group by domain, line_key
)
select s.domain, s.line_key, s.pages
from support as s
join site_pages as p using (domain)
where s.pages >= $min_pages and s.pages >= $min_share * p.pages
order by s.domain, s.line_key
