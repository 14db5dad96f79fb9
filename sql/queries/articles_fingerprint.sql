-- articles_fingerprint: changes whenever an article is added, removed, or its title or text
-- changes (an order-free digest of every article's id, title and text hash)
select count(*)::varchar || ':'
       || coalesce(bit_xor(hash(article_id, coalesce(title, ''), text_sha256)), 0)::varchar
from articles
