-- Posts, their photos and their manage tokens. Times are Unix microseconds
-- in UTC, the precision PostgreSQL's timestamptz keeps too.
CREATE TABLE posts (
	id           TEXT PRIMARY KEY,
	status       TEXT NOT NULL CHECK (status IN ('pending', 'active', 'expired', 'deleted')),
	title        TEXT NOT NULL,
	body         TEXT NOT NULL,
	price_cents  INTEGER,
	category     TEXT NOT NULL,
	region       TEXT NOT NULL,
	subarea      TEXT NOT NULL,
	zip          TEXT NOT NULL,
	city         TEXT NOT NULL,
	state        TEXT NOT NULL,
	lat          REAL NOT NULL,
	lon          REAL NOT NULL,
	email        TEXT NOT NULL,
	phone        TEXT NOT NULL,
	sample       INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	published_at INTEGER,
	bumped_at    INTEGER,
	expires_at   INTEGER,
	deleted_at   INTEGER
);

-- List pages read live posts newest first, by region and category; the
-- partial indexes hold only active posts, so they stay small.
CREATE INDEX posts_list_region_category ON posts (region, category, bumped_at DESC, id DESC) WHERE status = 'active';
CREATE INDEX posts_list_region ON posts (region, bumped_at DESC, id DESC) WHERE status = 'active';
CREATE INDEX posts_list_category ON posts (category, bumped_at DESC, id DESC) WHERE status = 'active';
CREATE INDEX posts_list_all ON posts (bumped_at DESC, id DESC) WHERE status = 'active';
CREATE INDEX posts_expiry ON posts (expires_at) WHERE status = 'active';
CREATE INDEX posts_email ON posts (email);

CREATE TABLE post_images (
	post_id   TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	position  INTEGER NOT NULL,
	thumb_key TEXT NOT NULL,
	large_key TEXT NOT NULL,
	width     INTEGER NOT NULL,
	height    INTEGER NOT NULL,
	PRIMARY KEY (post_id, position)
);
CREATE INDEX post_images_thumb ON post_images (thumb_key);
CREATE INDEX post_images_large ON post_images (large_key);

-- Only the SHA-256 of a token is stored. A post gets one more token each
-- time its owner asks for lost links, and every token stays valid.
CREATE TABLE post_tokens (
	hash       BLOB PRIMARY KEY,
	post_id    TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL
);
CREATE INDEX post_tokens_post ON post_tokens (post_id);

CREATE TABLE idempotency_keys (
	key          TEXT PRIMARY KEY,
	request_hash TEXT NOT NULL,
	post_id      TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	created_at   INTEGER NOT NULL
);

-- The transactional outbox: a message row is written in the same
-- transaction as the change that causes it, and a worker delivers it. The
-- bodies are erased once sent because they contain manage links.
CREATE TABLE mail_outbox (
	id              INTEGER PRIMARY KEY,
	message_id      TEXT NOT NULL UNIQUE,
	sender          TEXT NOT NULL,
	recipient       TEXT NOT NULL,
	subject         TEXT NOT NULL,
	text_body       TEXT,
	html_body       TEXT,
	headers         TEXT NOT NULL DEFAULT '{}',
	created_at      INTEGER NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	locked_until    INTEGER,
	sent_at         INTEGER,
	last_error      TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;

-- Secrets shared by every app server, such as the CSRF key.
CREATE TABLE secrets (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
);
