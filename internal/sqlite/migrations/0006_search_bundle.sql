-- A search that bundles duplicates checks, for each post, whether a newer
-- live post has the same duplicate key. With the key, the bump time, the ID
-- and the expiry in one index, that check is one seek in the index alone.
DROP INDEX posts_dup_key;
CREATE INDEX posts_dup_newest ON posts (dup_key, bumped_at, id, expires_at) WHERE status = 'active' AND dup_key <> '';
