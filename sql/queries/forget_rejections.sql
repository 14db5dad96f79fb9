-- forget_rejections: the old rejections of records extracted again
delete from rejections where record_id in (select record_id from batch)
