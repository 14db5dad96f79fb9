-- forget_articles: articles whose archived page is now rejected (the batch: record_id). The
-- stories and copy groups they were in are grouped again: the other articles there are
-- marked as changed, and what only the forgotten held (stories and their vectors, story
-- lines, copy groups, links, MinHash keys, edge lines) goes with them.
create or replace temp table forgotten as
select article_id, story_id, copy_group_id
from articles
where record_id in (select record_id from batch);

update articles set grouped_sha256 = null
where article_id not in (select article_id from forgotten)
  and (story_id in (select story_id from forgotten)
       or copy_group_id in (select copy_group_id from forgotten));

create or replace temp table forgotten_stories as
select distinct story_id
from forgotten
where story_id is not null
  and story_id not in (
      select story_id from articles
      where story_id is not null and article_id not in (select article_id from forgotten)
  );

delete from stories where story_id in (select story_id from forgotten_stories);

delete from storylines
where storyline_id not in (
    select storyline_id from stories where storyline_id is not null
);

delete from story_vectors where story_id in (select story_id from forgotten_stories);

delete from copy_groups
where copy_group_id in (select copy_group_id from forgotten)
  and copy_group_id not in (
      select copy_group_id from articles
      where copy_group_id is not null and article_id not in (select article_id from forgotten)
  );

delete from article_links
where a in (select article_id from forgotten) or b in (select article_id from forgotten);

delete from copy_fingerprints where article_id in (select article_id from forgotten);

delete from site_lines where article_id in (select article_id from forgotten);

delete from articles where article_id in (select article_id from forgotten);

-- the responses that had given way to a forgotten article's are pending again: the newest
-- of them (a full text before a page turned into a teaser) may make the article again
delete from superseded_records where article_id in (select article_id from forgotten);

drop table forgotten;
drop table forgotten_stories
