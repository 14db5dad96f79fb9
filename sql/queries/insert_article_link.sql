-- insert_article_link: why two articles were joined (same_url, same_text, near_copy)
insert into article_links (a, b, kind, score) select a, b, kind, score from batch
