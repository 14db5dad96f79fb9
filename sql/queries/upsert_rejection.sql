-- upsert_rejection: a fetched page that yielded no article, and why
insert into rejections (record_id, url, reason, detail, rejected_at) values (?, ?, ?, ?, ?)
on conflict (record_id) do update set reason = excluded.reason, detail = excluded.detail
