-- clear_term_counts: the document frequencies go, to be counted again from every text
delete from term_counts
