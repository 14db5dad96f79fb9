-- aggregator_domains_known: the domains the last grouping found to be aggregators
select domain from domain_scores where is_aggregator order by domain
