-- 021_wire_carriers_origin_first: a text's carriers in order of appearance, its origin first.
-- By dates alone, a scraper that backdated its copy (which the origin's evidence passes over:
-- tasks/origins.py) appeared first, before the origin the same view names.
drop view if exists wire_carriers;
create view wire_carriers as
with grouped_articles as (
    select a.*,
           coalesce(a.published_at, a.republished_at) as appeared_at,
           count(*) over (partition by a.copy_group_id) as group_size
    from articles as a
    where a.copy_group_id is not null
)
select copy_group_id,
       row_number() over (
           partition by copy_group_id
           order by is_group_origin desc, appeared_at nulls last, fetched_at, article_id
       ) as appearance,
       group_size,
       domain,
       url,
       title,
       published_at,
       republished_at,
       appeared_at,
       is_group_origin,
       article_id,
       story_id
from grouped_articles
where group_size > 1
order by copy_group_id, appearance;
