-- repoint_superseded: the records that had given way to a moved article give way to the
-- article it moved to (the batch: article_id, moved_to), not released to make it again
update superseded_records
set article_id = batch.moved_to
from batch
where superseded_records.article_id = batch.article_id
