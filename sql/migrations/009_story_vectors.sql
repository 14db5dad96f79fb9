-- 009_story_vectors: what each story is about, so story lines can be drawn months back
-- without rereading texts

-- story_vectors: the mean of a story's texts' unit tf-idf vectors, strongest terms only
create table story_vectors (
    story_id  varchar not null,
    term      varchar not null,
    weight    double not null
);

-- Stories grouped before this migration have no vector: every article is grouped once
-- more, whole, on the next run (ids are kept).
update articles set grouped_sha256 = null;

-- term_counts: the document frequencies of tf-idf over the whole archive, counted once per
-- grouped text, so a run that regroups a few days weighs words as the archive does
-- (term '' holds the number of texts counted)
create table term_counts (
    term   varchar primary key,
    texts  bigint not null
);
