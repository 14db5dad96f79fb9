-- 006_provenance: domain scores, story merges, and the story-level links

-- domain_scores: how much of a domain's output copies other outlets' texts (aggregators)
create table domain_scores (
    domain            varchar primary key,
    articles          integer not null,
    copies_of_others  integer not null,
    copy_share        double not null,
    avg_boilerplate   double not null,
    is_aggregator     boolean not null,
    updated_at        timestamptz not null
);

-- story_merges: a story that grew into another keeps the older id; the other id is recorded
create table story_merges (
    merged_story_id  varchar primary key,
    into_story_id    varchar not null,
    merged_at        timestamptz not null
);
