-- add_term_counts: the batch's texts counted into the archive's document frequencies
insert into term_counts (term, texts)
select term, texts from batch
on conflict (term) do update set texts = term_counts.texts + excluded.texts
