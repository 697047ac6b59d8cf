-- The whole schema of the PostgreSQL store, equal in meaning to the SQLite
-- migrations 0001 to 0005. Times are timestamptz, which keeps microseconds
-- like the SQLite store's integers.

-- unaccent lets "cafe" find "café". PostgreSQL marks its functions STABLE,
-- so a generated column cannot call them. immutable_unaccent declares the
-- same call IMMUTABLE, which holds while the unaccent rules file is left
-- unchanged: after changing it, rewrite the posts to rebuild the vectors.
-- The wrapper names the extension's schema, found at migration time, so it
-- works whatever search_path a connection has.
CREATE EXTENSION IF NOT EXISTS unaccent;
DO $migration$
DECLARE
	ext_schema text;
BEGIN
	SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
		WHERE e.extname = 'unaccent';
	EXECUTE format('CREATE FUNCTION immutable_unaccent(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS %L',
		format('SELECT %I.unaccent(%L::regdictionary, $1)', ext_schema, quote_ident(ext_schema) || '.unaccent'));
END
$migration$;

-- search_text prepares both the indexed text and each query phrase, so the
-- two sides match. It turns ASCII punctuation into spaces because
-- PostgreSQL's parser would otherwise index "example.com/bikes?x=1" as URL
-- and host tokens, while the board searches for its separate words.
-- The SQL-standard body (RETURN) binds immutable_unaccent when the function
-- is created, so pg_restore, which runs with an empty search_path, still
-- finds it when it fills the generated columns.
CREATE FUNCTION search_text(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN regexp_replace(immutable_unaccent($1), '[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]+', ' ', 'g');

-- IDs use the C collation so that they sort bytewise, as in Go: keyset
-- pagination and the sitemap's prefix ranges rely on it.
CREATE TABLE posts (
	id           text COLLATE "C" PRIMARY KEY,
	status       text NOT NULL CHECK (status IN ('pending', 'active', 'expired', 'deleted')),
	title        text NOT NULL,
	body         text NOT NULL,
	price_cents  bigint,
	category     text NOT NULL,
	region       text NOT NULL,
	subarea      text NOT NULL,
	zip          text NOT NULL,
	city         text NOT NULL,
	state        text NOT NULL,
	lat          double precision NOT NULL,
	lon          double precision NOT NULL,
	email        text NOT NULL,
	phone        text NOT NULL,
	sample       boolean NOT NULL DEFAULT false,
	created_at   timestamptz NOT NULL,
	updated_at   timestamptz NOT NULL,
	published_at timestamptz,
	bumped_at    timestamptz,
	expires_at   timestamptz,
	deleted_at   timestamptz,
	-- Posts with the same normalised title and text from the same poster
	-- share a key, and a bundled search shows only the newest of them.
	dup_key      text NOT NULL DEFAULT '',
	-- Relevance weighs title matches (A) above body matches (B); a search
	-- of titles only reads the second vector.
	search_all   tsvector GENERATED ALWAYS AS (
		setweight(to_tsvector('english'::regconfig, search_text(title)), 'A') ||
		setweight(to_tsvector('english'::regconfig, search_text(body)), 'B')) STORED,
	search_title tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, search_text(title))) STORED
);

-- List pages read live posts newest first, by region and category; the
-- partial indexes hold only active posts, so they stay small.
CREATE INDEX posts_list_region_category ON posts (region, category, bumped_at DESC, id DESC) WHERE status = 'active';
CREATE INDEX posts_list_region ON posts (region, bumped_at DESC, id DESC) WHERE status = 'active';
CREATE INDEX posts_list_category ON posts (category, bumped_at DESC, id DESC) WHERE status = 'active';
CREATE INDEX posts_list_all ON posts (bumped_at DESC, id DESC) WHERE status = 'active';
CREATE INDEX posts_expiry ON posts (expires_at) WHERE status = 'active';
CREATE INDEX posts_email ON posts (lower(email));
CREATE INDEX posts_dup_key ON posts (dup_key) WHERE status = 'active';
CREATE INDEX posts_region_price ON posts (region, price_cents, id) WHERE status = 'active';
-- Distance searches first narrow to a box of latitude and longitude.
CREATE INDEX posts_region_geo ON posts (region, lat, lon) WHERE status = 'active';
CREATE INDEX posts_geo ON posts (lat, lon) WHERE status = 'active';
CREATE INDEX posts_search_all ON posts USING gin (search_all);
CREATE INDEX posts_search_title ON posts USING gin (search_title);

-- Empty keys mean the size or format was not made.
CREATE TABLE post_images (
	post_id         text COLLATE "C" NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	position        integer NOT NULL,
	thumb_key       text NOT NULL,
	medium_key      text NOT NULL DEFAULT '',
	large_key       text NOT NULL,
	thumb_webp_key  text NOT NULL DEFAULT '',
	medium_webp_key text NOT NULL DEFAULT '',
	large_webp_key  text NOT NULL DEFAULT '',
	width           integer NOT NULL,
	height          integer NOT NULL,
	PRIMARY KEY (post_id, position)
);

-- Every stored file a post uses, one row per key, so "is this file still
-- used by a live post" is one indexed lookup whatever the size or format.
CREATE TABLE post_files (
	post_id text COLLATE "C" NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	key     text NOT NULL,
	PRIMARY KEY (post_id, key)
);
CREATE INDEX post_files_key ON post_files (key);

-- Only the SHA-256 of a token is stored. A post gets one more token each
-- time its owner asks for lost links, and every token stays valid.
CREATE TABLE post_tokens (
	hash       bytea PRIMARY KEY,
	post_id    text COLLATE "C" NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL
);
CREATE INDEX post_tokens_post ON post_tokens (post_id);

CREATE TABLE idempotency_keys (
	key          text PRIMARY KEY,
	request_hash text NOT NULL,
	post_id      text COLLATE "C" NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
	created_at   timestamptz NOT NULL
);

-- The transactional outbox: a message row is written in the same
-- transaction as the change that causes it, and a worker delivers it. The
-- bodies are erased once sent because they contain manage links.
CREATE TABLE mail_outbox (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	message_id      text NOT NULL UNIQUE,
	sender          text NOT NULL,
	recipient       text NOT NULL,
	subject         text NOT NULL,
	text_body       text,
	html_body       text,
	headers         jsonb NOT NULL DEFAULT '{}',
	created_at      timestamptz NOT NULL,
	attempts        integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL,
	locked_until    timestamptz,
	sent_at         timestamptz,
	last_error      text
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;

-- Secrets shared by every app server, such as the CSRF key.
CREATE TABLE secrets (
	name  text PRIMARY KEY,
	value bytea NOT NULL
);

-- Search alerts: a saved search that emails new matches at most once a
-- day, confirmed and cancelled through signed links, without an account.
CREATE TABLE alerts (
	id           text PRIMARY KEY,
	email        text NOT NULL,
	query        text NOT NULL, -- the search as a URL query string
	label        text NOT NULL, -- the search in words, for emails and pages
	status       text NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed')),
	created_at   timestamptz NOT NULL,
	confirmed_at timestamptz,
	checked_at   timestamptz, -- posts bumped after this have not been sent yet
	next_run_at  timestamptz,
	locked_until timestamptz
);
CREATE INDEX alerts_due ON alerts (next_run_at) WHERE status = 'active';
CREATE INDEX alerts_email ON alerts (email);
