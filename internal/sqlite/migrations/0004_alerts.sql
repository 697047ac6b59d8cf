-- Search alerts: a saved search that emails new matches at most once a
-- day, confirmed and cancelled through signed links, without an account.
CREATE TABLE alerts (
	id           TEXT PRIMARY KEY,
	email        TEXT NOT NULL,
	query        TEXT NOT NULL, -- the search as a URL query string
	label        TEXT NOT NULL, -- the search in words, for emails and pages
	status       TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed')),
	created_at   INTEGER NOT NULL,
	confirmed_at INTEGER,
	checked_at   INTEGER, -- posts bumped after this have not been sent yet
	next_run_at  INTEGER,
	locked_until INTEGER
);
CREATE INDEX alerts_due ON alerts (next_run_at) WHERE status = 'active';
CREATE INDEX alerts_email ON alerts (email);
