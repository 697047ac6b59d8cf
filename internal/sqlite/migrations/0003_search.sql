-- Full-text search over titles and bodies. The porter stemmer lets "bike"
-- find "bikes"; remove_diacritics lets "cafe" find "café". The index is an
-- external-content table kept in step with posts by triggers.
CREATE VIRTUAL TABLE posts_fts USING fts5(
	title, body,
	content = 'posts', content_rowid = 'rowid',
	tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO posts_fts (rowid, title, body) SELECT rowid, title, body FROM posts;

CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
	INSERT INTO posts_fts (rowid, title, body) VALUES (new.rowid, new.title, new.body);
END;
CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
	INSERT INTO posts_fts (posts_fts, rowid, title, body) VALUES ('delete', old.rowid, old.title, old.body);
END;
CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, body ON posts BEGIN
	INSERT INTO posts_fts (posts_fts, rowid, title, body) VALUES ('delete', old.rowid, old.title, old.body);
	INSERT INTO posts_fts (rowid, title, body) VALUES (new.rowid, new.title, new.body);
END;

-- Bundling duplicates: posts with the same normalised title and text from
-- the same poster share a key, and a search shows only the newest of them.
ALTER TABLE posts ADD COLUMN dup_key TEXT NOT NULL DEFAULT '';
CREATE INDEX posts_dup_key ON posts (dup_key) WHERE status = 'active';

-- Price sorts and distance searches within a region.
CREATE INDEX posts_region_price ON posts (region, price_cents, id) WHERE status = 'active';
CREATE INDEX posts_region_lat ON posts (region, lat) WHERE status = 'active';
CREATE INDEX posts_lat ON posts (lat) WHERE status = 'active';
