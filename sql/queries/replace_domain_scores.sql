-- replace_domain_scores: the domain scores of the latest grouping (the old ones go)
delete from domain_scores;
insert into domain_scores
select domain, articles, copies_of_others, copy_share, avg_boilerplate, is_aggregator, updated_at
from batch;
