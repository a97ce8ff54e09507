-- A database of the release before migrations (postgresql): schema and rows.
-- Written by tests/data/make_release_0.py (see there); loaded by tests/test_migrations.py.
-- Test secret key 'test-secret-key-not-for-production'; moderator 'rosa', password 'release 0 password';
-- API token 'mod_release-0-fixture-token-for-the-upgrade-test'.

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
	PRIMARY KEY (id),
	UNIQUE (name)
);

CREATE TABLE rate_counters (
	key VARCHAR(255) NOT NULL,
	count INTEGER NOT NULL,
	expires_at FLOAT NOT NULL,
	PRIMARY KEY (key)
);

CREATE TABLE rules_version (
	id SERIAL NOT NULL,
	version INTEGER NOT NULL,
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

CREATE TABLE api_tokens (
	id SERIAL NOT NULL,
	moderator_id INTEGER NOT NULL,
	token_hash VARCHAR(64) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(moderator_id) REFERENCES moderators (id) ON DELETE CASCADE,
	UNIQUE (token_hash)
);

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

CREATE TABLE moderator_sessions (
	id VARCHAR(64) NOT NULL,
	moderator_id INTEGER NOT NULL,
	password_fp VARCHAR(64) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(moderator_id) REFERENCES moderators (id) ON DELETE CASCADE
);

CREATE INDEX ix_moderator_sessions_moderator_id ON moderator_sessions (moderator_id);

INSERT INTO articles (id, title, url, closed, premoderation, version, created_at, opened_at) VALUES ('release-0', NULL, NULL, FALSE, NULL, 1, '2026-11-30 18:03:04.949676+00', '2026-11-30 18:03:05.158623+00');
INSERT INTO blocks (id, kind, value, note, created_at) VALUES (1, 'ip', '192.0.2.0/24', 'a test range', '2026-11-30 18:03:05.204365+00');
SELECT setval(pg_get_serial_sequence('blocks', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM blocks), false);
INSERT INTO moderators (id, name, password_hash, created_at) VALUES (1, 'rosa', 'pbkdf2:sha256:1$DNx4hgBP0grV5psH$5ef736d463e6127ad400616c64e81955bb006f4d45d69282e17cb74163509329', '2026-11-01 12:00:00.000000+00');
SELECT setval(pg_get_serial_sequence('moderators', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM moderators), false);
INSERT INTO rules_version (id, version) VALUES (1, 4);
SELECT setval(pg_get_serial_sequence('rules_version', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM rules_version), false);
INSERT INTO word_lists (id, list, word, created_at) VALUES (1, 'hold', 'casino', '2026-11-30 18:03:05.190001+00');
INSERT INTO word_lists (id, list, word, created_at) VALUES (2, 'spam', 'viagra', '2026-11-30 18:03:05.198582+00');
SELECT setval(pg_get_serial_sequence('word_lists', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM word_lists), false);
INSERT INTO api_tokens (id, moderator_id, token_hash, created_at) VALUES (1, 1, '837f0d0c936a0a4012cfad7acd82f5b9b9c1096ce427eef31ed60e67ac9f327a', '2026-11-01 12:00:00.000000+00');
SELECT setval(pg_get_serial_sequence('api_tokens', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM api_tokens), false);
INSERT INTO audit_log (id, moderator_id, moderator_name, action, comment_id, article_id, detail, via, created_at) VALUES (1, 1, 'rosa', 'approved', 2, 'release-0', NULL, 'api', '2026-11-30 18:03:05.158623+00');
INSERT INTO audit_log (id, moderator_id, moderator_name, action, comment_id, article_id, detail, via, created_at) VALUES (2, 1, 'rosa', 'rejected', 3, 'release-0', NULL, 'api', '2026-11-30 18:03:05.174141+00');
INSERT INTO audit_log (id, moderator_id, moderator_name, action, comment_id, article_id, detail, via, created_at) VALUES (3, 1, 'rosa', 'spam', 4, 'release-0', NULL, 'api', '2026-11-30 18:03:05.183945+00');
INSERT INTO audit_log (id, moderator_id, moderator_name, action, comment_id, article_id, detail, via, created_at) VALUES (4, NULL, 'command line', 'word_added', NULL, NULL, 'hold list: ''casino''', 'cli', '2026-11-30 18:03:05.190001+00');
INSERT INTO audit_log (id, moderator_id, moderator_name, action, comment_id, article_id, detail, via, created_at) VALUES (5, NULL, 'command line', 'word_added', NULL, NULL, 'spam list: ''viagra''', 'cli', '2026-11-30 18:03:05.198582+00');
INSERT INTO audit_log (id, moderator_id, moderator_name, action, comment_id, article_id, detail, via, created_at) VALUES (6, NULL, 'command line', 'blocked', NULL, NULL, '192.0.2.0/24; note: a test range', 'cli', '2026-11-30 18:03:05.204365+00');
SELECT setval(pg_get_serial_sequence('audit_log', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM audit_log), false);
INSERT INTO comments (id, article_id, parent_id, status, reason, author_name, author_website, email_sealed, email_key_id, email_digest, avatar, body_text, body_html, body_digest, ip, commenter_key_hash, created_at, updated_at) VALUES (1, 'release-0', NULL, 'pending', 'held: every comment is moderated', 'Pia Pending', NULL, '\x2c002b2cee1eebabc247a9dbb450bfecd6a430f5979e74b3ed2cda829ad40144807573efa510b1963adb04'::bytea, '490f85affdc82cf1', '4cef4f27f289aab47b9c99717c11dae0f07f3c3e8910130ce331e20c7005ac62', '15b152a25b59d3eb', 'Still waiting for a moderator.', '<p>Still waiting for a moderator.</p>', '309e2637d7419e43697e4525c12ee1fc0674a48d42a5790684db68e2bbdcee46', '127.0.0.1', '447c92954eea0d1e206d8281904ca2b76b5c24982ee74198212aa934d5536e74', '2026-11-30 18:03:04.949676+00', '2026-11-30 18:03:04.949676+00');
INSERT INTO comments (id, article_id, parent_id, status, reason, author_name, author_website, email_sealed, email_key_id, email_digest, avatar, body_text, body_html, body_digest, ip, commenter_key_hash, created_at, updated_at) VALUES (2, 'release-0', NULL, 'approved', 'held: every comment is moderated', 'Abe Approved', NULL, '\x1d1a3442ae160733f119b000ca0e363c3755b60c05a6e1740dddec8f6beb83d2889ed302a868a12c197972'::bytea, '490f85affdc82cf1', '6747627d7393243c9e775570f119d531855f5c4a0f42d77f4644ff06ca6e10a6', '8fe74a6372badcdc', 'A thoughtful, approved comment.', '<p>A thoughtful, approved comment.</p>', '46f20f4407f083e05a5dbbfc7f6f94ec877597882ccb48ed8084d66d36e084e1', '127.0.0.1', 'a54c70edb5a42a31f455a524959a8d63704a5ae0b8f6f3f4f285e63af14e6f02', '2026-11-30 18:03:05.148293+00', '2026-11-30 18:03:05.158623+00');
INSERT INTO comments (id, article_id, parent_id, status, reason, author_name, author_website, email_sealed, email_key_id, email_digest, avatar, body_text, body_html, body_digest, ip, commenter_key_hash, created_at, updated_at) VALUES (3, 'release-0', NULL, 'rejected', 'held: every comment is moderated', 'Rex Rejected', NULL, '\x8763faab5212e82666796812c6d6911462d8703b109942feeb6411a9a2b22a5bc8928d8bd6478985007fa5'::bytea, '490f85affdc82cf1', 'af53edf40b326729cfbfce30fc97baa0d42dbde670dd74497c095eec15ccfaf3', 'a6b9b4aa487bf804', 'Off topic, rejected.', '<p>Off topic, rejected.</p>', '9145d310f36a7a203ce9e539ad961d1b2faa33f9229282fe8ae2964e8f0ae4e2', '127.0.0.1', 'e0d89ad7ca560190005a71de7d09691432868bb059e5b2c347936183a241f3b9', '2026-11-30 18:03:05.167308+00', '2026-11-30 18:03:05.174141+00');
INSERT INTO comments (id, article_id, parent_id, status, reason, author_name, author_website, email_sealed, email_key_id, email_digest, avatar, body_text, body_html, body_digest, ip, commenter_key_hash, created_at, updated_at) VALUES (4, 'release-0', NULL, 'spam', 'held: every comment is moderated', 'Sam Spammer', NULL, '\x4c9b53c42a0de91579f5fa053c7a6a889ee25b42b0139f2a001e24bddd1dead851e48e26289b3c51a82dfd'::bytea, '490f85affdc82cf1', '4d48b4c8c98c8881c1a1aaa686e1f829113c402ce380a558b5b802eccbb79388', '199baf30828bf3c5', 'Cheap pills, marked as spam.', '<p>Cheap pills, marked as spam.</p>', 'fec14f391ed67e0526aa97c220b9826d982d3367d6cd6a17c068aa86953aa959', '127.0.0.1', '7047a4729a6d0bf3462e7ee7d3f5cdfd449a5ec5349e4f86a233963638f8f387', '2026-11-30 18:03:05.176976+00', '2026-11-30 18:03:05.183945+00');
SELECT setval(pg_get_serial_sequence('comments', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM comments), false);
