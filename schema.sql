-- The database schema of the comment moderation service.
-- Generated from moderation/store/models.py by `python -m moderation.store.schema > schema.sql`;
-- `flask --app app init-db` creates it (and is safe to run again).

-- ===== SQLite (the embedded default) =====

CREATE TABLE articles (
	id VARCHAR(128) NOT NULL,
	title VARCHAR(300),
	url VARCHAR(2000),
	closed BOOLEAN NOT NULL,
	premoderation VARCHAR(16),
	version BIGINT NOT NULL,
	created_at DATETIME NOT NULL,
	opened_at DATETIME,
	PRIMARY KEY (id)
);

CREATE TABLE blocks (
	id INTEGER NOT NULL,
	kind VARCHAR(8) NOT NULL,
	value VARCHAR(64) NOT NULL,
	note VARCHAR(200),
	created_at DATETIME NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT blocks_kind_valid CHECK (kind IN ('ip', 'email')),
	CONSTRAINT blocks_unique UNIQUE (kind, value)
);

CREATE TABLE form_token_uses (
	nonce VARCHAR(32) NOT NULL,
	expires_at DATETIME NOT NULL,
	PRIMARY KEY (nonce)
);

CREATE INDEX form_token_uses_by_expiry ON form_token_uses (expires_at);

CREATE TABLE moderators (
	id INTEGER NOT NULL,
	name VARCHAR(64) NOT NULL,
	password_hash VARCHAR(255) NOT NULL,
	created_at DATETIME NOT NULL,
	role VARCHAR(16) DEFAULT 'moderator' NOT NULL,
	last_login_at DATETIME,
	email VARCHAR(254),
	notify VARCHAR(8) DEFAULT 'each' NOT NULL,
	digest_sent_at DATETIME,
	PRIMARY KEY (id),
	CONSTRAINT moderators_role_valid CHECK (role IN ('admin', 'moderator')),
	CONSTRAINT moderators_notify_valid CHECK (notify IN ('each', 'digest', 'none')),
	UNIQUE (name)
);

CREATE TABLE outbox_events (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	event VARCHAR(32) NOT NULL,
	comment_id INTEGER,
	article_id VARCHAR(128),
	snapshot TEXT NOT NULL,
	created_at DATETIME NOT NULL,
	dispatched_at DATETIME
);

CREATE INDEX outbox_events_by_comment ON outbox_events (comment_id);

CREATE INDEX outbox_events_undispatched ON outbox_events (dispatched_at, id);

CREATE TABLE rate_counters (
	"key" VARCHAR(255) NOT NULL,
	count INTEGER NOT NULL,
	expires_at FLOAT NOT NULL,
	PRIMARY KEY ("key")
);

CREATE TABLE reader_consents (
	id INTEGER NOT NULL,
	email_digest VARCHAR(64) NOT NULL,
	created_at DATETIME NOT NULL,
	asked_at DATETIME,
	confirmed_at DATETIME,
	stopped_at DATETIME,
	PRIMARY KEY (id),
	UNIQUE (email_digest)
);

CREATE TABLE rules_version (
	id INTEGER NOT NULL,
	version INTEGER NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE scheduled_jobs (
	name VARCHAR(32) NOT NULL,
	next_run_at DATETIME NOT NULL,
	last_run_at DATETIME,
	PRIMARY KEY (name)
);

CREATE TABLE site_identity (
	id INTEGER NOT NULL,
	"key" VARCHAR(64) NOT NULL,
	created_at DATETIME NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE webhooks (
	id INTEGER NOT NULL,
	url VARCHAR(2000) NOT NULL,
	events VARCHAR(300) NOT NULL,
	secret_sealed BLOB NOT NULL,
	secret_key_id VARCHAR(16) NOT NULL,
	created_at DATETIME NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE word_lists (
	id INTEGER NOT NULL,
	list VARCHAR(8) NOT NULL,
	word VARCHAR(200) NOT NULL,
	created_at DATETIME NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT word_lists_list_valid CHECK (list IN ('hold', 'spam')),
	CONSTRAINT word_lists_unique UNIQUE (list, word)
);

CREATE TABLE action_links (
	id VARCHAR(64) NOT NULL,
	moderator_id INTEGER NOT NULL,
	comment_id INTEGER NOT NULL,
	action VARCHAR(16) NOT NULL,
	created_at DATETIME NOT NULL,
	expires_at DATETIME NOT NULL,
	used_at DATETIME,
	PRIMARY KEY (id),
	FOREIGN KEY(moderator_id) REFERENCES moderators (id) ON DELETE CASCADE
);

CREATE INDEX ix_action_links_moderator_id ON action_links (moderator_id);

CREATE TABLE api_tokens (
	id INTEGER NOT NULL,
	moderator_id INTEGER NOT NULL,
	token_hash VARCHAR(64) NOT NULL,
	created_at DATETIME NOT NULL,
	label VARCHAR(100),
	last_used_at DATETIME,
	expires_at DATETIME,
	PRIMARY KEY (id),
	FOREIGN KEY(moderator_id) REFERENCES moderators (id) ON DELETE CASCADE,
	UNIQUE (token_hash)
);

CREATE INDEX ix_api_tokens_moderator_id ON api_tokens (moderator_id);

CREATE TABLE audit_log (
	id INTEGER NOT NULL,
	moderator_id INTEGER,
	moderator_name VARCHAR(64) NOT NULL,
	action VARCHAR(32) NOT NULL,
	comment_id INTEGER,
	article_id VARCHAR(128),
	detail VARCHAR(500),
	via VARCHAR(8) NOT NULL,
	created_at DATETIME NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(moderator_id) REFERENCES moderators (id) ON DELETE SET NULL
);

CREATE INDEX audit_by_time ON audit_log (created_at);

CREATE TABLE comments (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	article_id VARCHAR(128) NOT NULL,
	parent_id INTEGER,
	status VARCHAR(16) NOT NULL,
	reason VARCHAR(300),
	author_name VARCHAR(100) NOT NULL,
	author_website VARCHAR(200),
	email_sealed BLOB NOT NULL,
	email_key_id VARCHAR(16) NOT NULL,
	email_digest VARCHAR(64) NOT NULL,
	avatar VARCHAR(16) NOT NULL,
	body_text TEXT NOT NULL,
	body_html TEXT NOT NULL,
	body_digest VARCHAR(64) NOT NULL,
	ip VARCHAR(45),
	commenter_key_hash VARCHAR(64),
	created_at DATETIME NOT NULL,
	updated_at DATETIME NOT NULL,
	source VARCHAR(300),
	lang VARCHAR(16),
	CONSTRAINT comments_status_valid CHECK (status IN ('pending', 'approved', 'rejected', 'spam')),
	FOREIGN KEY(article_id) REFERENCES articles (id) ON DELETE CASCADE,
	FOREIGN KEY(parent_id) REFERENCES comments (id) ON DELETE SET NULL
);

CREATE INDEX comments_author ON comments (email_digest, status, commenter_key_hash);

CREATE INDEX comments_by_time ON comments (status, created_at);

CREATE INDEX comments_public ON comments (article_id, status, id);

CREATE INDEX comments_queue ON comments (status, id);

CREATE INDEX comments_same_body ON comments (article_id, body_digest);

CREATE UNIQUE INDEX comments_source ON comments (source);

CREATE TABLE deliveries (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
	event_id INTEGER,
	channel VARCHAR(16) NOT NULL,
	target VARCHAR(64) NOT NULL,
	"key" VARCHAR(64) NOT NULL,
	status VARCHAR(16) NOT NULL,
	attempts INTEGER NOT NULL,
	next_attempt_at DATETIME NOT NULL,
	locked_until DATETIME,
	last_error VARCHAR(300),
	created_at DATETIME NOT NULL,
	delivered_at DATETIME,
	CONSTRAINT deliveries_status_valid CHECK (status IN ('pending', 'delivered', 'failed', 'dropped')),
	FOREIGN KEY(event_id) REFERENCES outbox_events (id) ON DELETE CASCADE,
	UNIQUE ("key")
);

CREATE INDEX deliveries_by_time ON deliveries (created_at);

CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);

CREATE INDEX ix_deliveries_event_id ON deliveries (event_id);

CREATE TABLE moderator_sessions (
	id VARCHAR(64) NOT NULL,
	moderator_id INTEGER NOT NULL,
	password_fp VARCHAR(64) NOT NULL,
	created_at DATETIME NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(moderator_id) REFERENCES moderators (id) ON DELETE CASCADE
);

CREATE INDEX ix_moderator_sessions_moderator_id ON moderator_sessions (moderator_id);

CREATE TABLE reports (
	id INTEGER NOT NULL,
	comment_id INTEGER NOT NULL,
	reader VARCHAR(64) NOT NULL,
	reason VARCHAR(16) NOT NULL,
	note TEXT,
	created_at DATETIME NOT NULL,
	dismissed_at DATETIME,
	PRIMARY KEY (id),
	CONSTRAINT reports_reason_valid CHECK (reason IN ('spam', 'abuse', 'off-topic', 'other')),
	CONSTRAINT reports_once_per_reader UNIQUE (comment_id, reader),
	FOREIGN KEY(comment_id) REFERENCES comments (id) ON DELETE CASCADE
);

CREATE INDEX reports_open ON reports (comment_id, dismissed_at);

CREATE TABLE subscriptions (
	id INTEGER NOT NULL,
	comment_id INTEGER NOT NULL,
	kind VARCHAR(8) NOT NULL,
	created_at DATETIME NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT subscriptions_kind_valid CHECK (kind IN ('approval', 'replies')),
	CONSTRAINT subscriptions_unique UNIQUE (comment_id, kind),
	FOREIGN KEY(comment_id) REFERENCES comments (id) ON DELETE CASCADE
);

-- ===== PostgreSQL =====

CREATE TABLE articles (
	id VARCHAR(128) NOT NULL,
	title VARCHAR(300),
	url VARCHAR(2000),
	closed BOOLEAN NOT NULL,
	premoderation VARCHAR(16),
	version BIGINT NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	opened_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (id)
);

CREATE TABLE blocks (
	id SERIAL NOT NULL,
	kind VARCHAR(8) NOT NULL,
	value VARCHAR(64) NOT NULL,
	note VARCHAR(200),
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT blocks_kind_valid CHECK (kind IN ('ip', 'email')),
	CONSTRAINT blocks_unique UNIQUE (kind, value)
);

CREATE TABLE form_token_uses (
	nonce VARCHAR(32) NOT NULL,
	expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (nonce)
);

CREATE INDEX form_token_uses_by_expiry ON form_token_uses (expires_at);

CREATE TABLE moderators (
	id SERIAL NOT NULL,
	name VARCHAR(64) NOT NULL,
	password_hash VARCHAR(255) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	role VARCHAR(16) DEFAULT 'moderator' NOT NULL,
	last_login_at TIMESTAMP WITH TIME ZONE,
	email VARCHAR(254),
	notify VARCHAR(8) DEFAULT 'each' NOT NULL,
	digest_sent_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (id),
	CONSTRAINT moderators_role_valid CHECK (role IN ('admin', 'moderator')),
	CONSTRAINT moderators_notify_valid CHECK (notify IN ('each', 'digest', 'none')),
	UNIQUE (name)
);

CREATE TABLE outbox_events (
	id SERIAL NOT NULL,
	event VARCHAR(32) NOT NULL,
	comment_id INTEGER,
	article_id VARCHAR(128),
	snapshot TEXT NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	dispatched_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (id)
);

CREATE INDEX outbox_events_by_comment ON outbox_events (comment_id);

CREATE INDEX outbox_events_undispatched ON outbox_events (dispatched_at, id);

CREATE TABLE rate_counters (
	key VARCHAR(255) NOT NULL,
	count INTEGER NOT NULL,
	expires_at FLOAT NOT NULL,
	PRIMARY KEY (key)
);

CREATE TABLE reader_consents (
	id SERIAL NOT NULL,
	email_digest VARCHAR(64) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	asked_at TIMESTAMP WITH TIME ZONE,
	confirmed_at TIMESTAMP WITH TIME ZONE,
	stopped_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (id),
	UNIQUE (email_digest)
);

CREATE TABLE rules_version (
	id SERIAL NOT NULL,
	version INTEGER NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE scheduled_jobs (
	name VARCHAR(32) NOT NULL,
	next_run_at TIMESTAMP WITH TIME ZONE NOT NULL,
	last_run_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (name)
);

CREATE TABLE site_identity (
	id SERIAL NOT NULL,
	key VARCHAR(64) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE webhooks (
	id SERIAL NOT NULL,
	url VARCHAR(2000) NOT NULL,
	events VARCHAR(300) NOT NULL,
	secret_sealed BYTEA NOT NULL,
	secret_key_id VARCHAR(16) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE word_lists (
	id SERIAL NOT NULL,
	list VARCHAR(8) NOT NULL,
	word VARCHAR(200) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT word_lists_list_valid CHECK (list IN ('hold', 'spam')),
	CONSTRAINT word_lists_unique UNIQUE (list, word)
);

CREATE TABLE action_links (
	id VARCHAR(64) NOT NULL,
	moderator_id INTEGER NOT NULL,
	comment_id INTEGER NOT NULL,
	action VARCHAR(16) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
	used_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (id),
	FOREIGN KEY(moderator_id) REFERENCES moderators (id) ON DELETE CASCADE
);

CREATE INDEX ix_action_links_moderator_id ON action_links (moderator_id);

CREATE TABLE api_tokens (
	id SERIAL NOT NULL,
	moderator_id INTEGER NOT NULL,
	token_hash VARCHAR(64) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	label VARCHAR(100),
	last_used_at TIMESTAMP WITH TIME ZONE,
	expires_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (id),
	FOREIGN KEY(moderator_id) REFERENCES moderators (id) ON DELETE CASCADE,
	UNIQUE (token_hash)
);

CREATE INDEX ix_api_tokens_moderator_id ON api_tokens (moderator_id);

CREATE TABLE audit_log (
	id SERIAL NOT NULL,
	moderator_id INTEGER,
	moderator_name VARCHAR(64) NOT NULL,
	action VARCHAR(32) NOT NULL,
	comment_id INTEGER,
	article_id VARCHAR(128),
	detail VARCHAR(500),
	via VARCHAR(8) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(moderator_id) REFERENCES moderators (id) ON DELETE SET NULL
);

CREATE INDEX audit_by_time ON audit_log (created_at);

CREATE TABLE comments (
	id SERIAL NOT NULL,
	article_id VARCHAR(128) NOT NULL,
	parent_id INTEGER,
	status VARCHAR(16) NOT NULL,
	reason VARCHAR(300),
	author_name VARCHAR(100) NOT NULL,
	author_website VARCHAR(200),
	email_sealed BYTEA NOT NULL,
	email_key_id VARCHAR(16) NOT NULL,
	email_digest VARCHAR(64) NOT NULL,
	avatar VARCHAR(16) NOT NULL,
	body_text TEXT NOT NULL,
	body_html TEXT NOT NULL,
	body_digest VARCHAR(64) NOT NULL,
	ip VARCHAR(45),
	commenter_key_hash VARCHAR(64),
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
	source VARCHAR(300),
	lang VARCHAR(16),
	PRIMARY KEY (id),
	CONSTRAINT comments_status_valid CHECK (status IN ('pending', 'approved', 'rejected', 'spam')),
	FOREIGN KEY(article_id) REFERENCES articles (id) ON DELETE CASCADE,
	FOREIGN KEY(parent_id) REFERENCES comments (id) ON DELETE SET NULL
);

CREATE INDEX comments_author ON comments (email_digest, status, commenter_key_hash);

CREATE INDEX comments_by_time ON comments (status, created_at);

CREATE INDEX comments_public ON comments (article_id, status, id);

CREATE INDEX comments_queue ON comments (status, id);

CREATE INDEX comments_same_body ON comments (article_id, body_digest);

CREATE UNIQUE INDEX comments_source ON comments (source);

CREATE TABLE deliveries (
	id SERIAL NOT NULL,
	event_id INTEGER,
	channel VARCHAR(16) NOT NULL,
	target VARCHAR(64) NOT NULL,
	key VARCHAR(64) NOT NULL,
	status VARCHAR(16) NOT NULL,
	attempts INTEGER NOT NULL,
	next_attempt_at TIMESTAMP WITH TIME ZONE NOT NULL,
	locked_until TIMESTAMP WITH TIME ZONE,
	last_error VARCHAR(300),
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	delivered_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (id),
	CONSTRAINT deliveries_status_valid CHECK (status IN ('pending', 'delivered', 'failed', 'dropped')),
	FOREIGN KEY(event_id) REFERENCES outbox_events (id) ON DELETE CASCADE,
	UNIQUE (key)
);

CREATE INDEX deliveries_by_time ON deliveries (created_at);

CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);

CREATE INDEX ix_deliveries_event_id ON deliveries (event_id);

CREATE TABLE moderator_sessions (
	id VARCHAR(64) NOT NULL,
	moderator_id INTEGER NOT NULL,
	password_fp VARCHAR(64) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(moderator_id) REFERENCES moderators (id) ON DELETE CASCADE
);

CREATE INDEX ix_moderator_sessions_moderator_id ON moderator_sessions (moderator_id);

CREATE TABLE reports (
	id SERIAL NOT NULL,
	comment_id INTEGER NOT NULL,
	reader VARCHAR(64) NOT NULL,
	reason VARCHAR(16) NOT NULL,
	note TEXT,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	dismissed_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (id),
	CONSTRAINT reports_reason_valid CHECK (reason IN ('spam', 'abuse', 'off-topic', 'other')),
	CONSTRAINT reports_once_per_reader UNIQUE (comment_id, reader),
	FOREIGN KEY(comment_id) REFERENCES comments (id) ON DELETE CASCADE
);

CREATE INDEX reports_open ON reports (comment_id, dismissed_at);

CREATE TABLE subscriptions (
	id SERIAL NOT NULL,
	comment_id INTEGER NOT NULL,
	kind VARCHAR(8) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT subscriptions_kind_valid CHECK (kind IN ('approval', 'replies')),
	CONSTRAINT subscriptions_unique UNIQUE (comment_id, kind),
	FOREIGN KEY(comment_id) REFERENCES comments (id) ON DELETE CASCADE
);
