-- clear_domain_scores: domain scores are recomputed whole after every grouping
delete from domain_scores
