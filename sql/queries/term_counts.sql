-- term_counts: the archive's document frequencies (term '' holds the number of texts)
select term, texts from term_counts
