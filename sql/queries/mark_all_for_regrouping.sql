-- mark_all_for_regrouping: every article is grouped afresh on the next grouping, and the
-- document frequencies are counted again from scratch with it
update articles set grouped_sha256 = null;
delete from term_counts;
