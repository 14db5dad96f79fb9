-- 018_superseded_records: archived responses whose article another response of the same
-- article holds: an older copy of a page fetched again with new text, or a page that only
-- claims the article's address (its rel=canonical) where the page at that address was
-- fetched too. They are neither an article nor a rejection, and are not extracted again.
create table superseded_records (
    record_id      varchar primary key,
    article_id     varchar not null,  -- the article another record holds
    superseded_at  timestamptz not null
);
