-- Photos gain a medium size for phones and WebP copies of every size.
-- Empty keys mean the size or format was not made (posts from before).
ALTER TABLE post_images ADD COLUMN medium_key TEXT NOT NULL DEFAULT '';
ALTER TABLE post_images ADD COLUMN thumb_webp_key TEXT NOT NULL DEFAULT '';
ALTER TABLE post_images ADD COLUMN medium_webp_key TEXT NOT NULL DEFAULT '';
ALTER TABLE post_images ADD COLUMN large_webp_key TEXT NOT NULL DEFAULT '';

-- Every stored file a post uses, one row per key, so "is this file still
-- used by a live post" is one indexed lookup whatever the size or format.
CREATE TABLE post_files (
	post_id TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	key     TEXT NOT NULL,
	PRIMARY KEY (post_id, key)
);
CREATE INDEX post_files_key ON post_files (key);
INSERT OR IGNORE INTO post_files (post_id, key) SELECT post_id, thumb_key FROM post_images;
INSERT OR IGNORE INTO post_files (post_id, key) SELECT post_id, large_key FROM post_images;
DROP INDEX post_images_thumb;
DROP INDEX post_images_large;
