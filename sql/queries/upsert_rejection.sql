-- upsert_rejection: fetched pages that yielded no article, why, and what kind of page they are
insert into rejections (record_id, url, reason, detail, page_kind, rejected_at)
select record_id, url, reason, detail, page_kind, rejected_at from batch
on conflict (record_id) do update set
    reason = excluded.reason,
    detail = excluded.detail,
    page_kind = excluded.page_kind
