-- 017_inner_link_lines: the lines of an article's main text that were links to other pages,
-- between its own lines, taken out of its text as teasers (a card's headline over its
-- teaser); the listed-titles pass matches them with the site's other articles' titles
-- (tasks/listed_titles.py). Null for articles extracted before: nothing is known of them.
alter table articles add column inner_link_lines varchar[];
