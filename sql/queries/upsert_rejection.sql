-- upsert_rejection: fetched pages that yielded no article, and why
insert into rejections (record_id, url, reason, detail, rejected_at)
select record_id, url, reason, detail, rejected_at from batch
on conflict (record_id) do update set reason = excluded.reason, detail = excluded.detail
