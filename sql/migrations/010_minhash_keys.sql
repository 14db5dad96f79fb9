-- 010_minhash_keys: copy fingerprints become MinHash band keys (one-permutation MinHash,
-- one LSH band per bin) in place of a sample of shingle hashes. The old ones are dropped;
-- the next run computes the new keys of every grouped article once (its text is read,
-- nothing is regrouped).
delete from copy_fingerprints;
