-- 016_site_furniture: what the archive knows of each site's furniture (tasks/site_furniture.py)

-- site_lines: the lines near the start and the end of each article's text as it was
-- extracted (a hash of each), kept to count how many pages of a site carry a line
create table site_lines (
    domain      varchar not null,
    line_key    bigint not null,   -- hash of the line, normalised
    article_id  varchar not null,
    page_key    bigint not null,   -- hash of the article's title: copies of a page count once
    settled     boolean not null   -- weighed by a furniture pass since it was stored
);

-- site_furniture: the lines known as a site's furniture (taken out of the start and the end
-- of its texts), and since when
create table site_furniture (
    domain      varchar not null,
    line_key    bigint not null,
    line        varchar,           -- the line as one of its pages wrote it
    pages       integer not null,  -- the pages of the site that carried it when it was found
    found_at    timestamptz not null
);

-- site_lines_backfill: the articles stored before this migration, whose edge lines the next
-- furniture pass records (their texts are still as extracted)
create table site_lines_backfill (
    article_id  varchar not null
);
insert into site_lines_backfill select article_id from articles;

-- articles.extracted_sha256: the hash of the text as extracted, before the site's furniture
-- was taken out of it (text_sha256 is the stored text's); a re-extraction compares with it
alter table articles add column extracted_sha256 varchar;
update articles set extracted_sha256 = text_sha256;
