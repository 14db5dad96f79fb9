-- insert_superseded_record: records whose article another record holds (the batch)
insert into superseded_records (record_id, article_id, superseded_at)
select record_id, article_id, superseded_at from batch
on conflict (record_id) do update set
    article_id = excluded.article_id,
    superseded_at = excluded.superseded_at
