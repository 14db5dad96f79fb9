-- refresh_domain_scores: per domain, the share of its articles that copy a text another
-- domain published first (its copy group's origin is elsewhere), and its page furniture;
-- recomputed from the whole archive after every grouping (clear_domain_scores first)
-- ($aggregator_share and $aggregator_copies: the share of its articles, and how many of
-- them, from which a domain counts as an aggregator)
insert into domain_scores
select a.domain,
       count(*) as articles,
       count(*) filter (where not a.is_group_origin and o.domain <> a.domain) as copies_of_others,
       round(copies_of_others / count(*), 4) as copy_share,
       round(avg(a.boilerplate_ratio), 4) as avg_boilerplate,
       copy_share >= $aggregator_share and copies_of_others >= $aggregator_copies
           as is_aggregator,
       now() as updated_at
from articles as a
join copy_groups as g using (copy_group_id)
join articles as o on o.article_id = g.origin_article_id
group by a.domain
