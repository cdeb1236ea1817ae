-- The catalog (Products, Prices), Checkout Sessions, Payment Links and the
-- account's payment method configurations. Booleans that lists filter on
-- (active, is_default) are INTEGER 0/1 on both engines so that one filter
-- value works for either. A price's lookup_key is unique per account while
-- set; expire_at (unix ms) is set only while a session is open, so the
-- expiry sweeper reads just the open sessions through its partial index.
CREATE TABLE products (
	seq BIGSERIAL PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL,
	created BIGINT NOT NULL,
	active INTEGER NOT NULL,
	shippable INTEGER,
	url TEXT,
	data BYTEA NOT NULL,
	deleted BOOLEAN NOT NULL DEFAULT FALSE,
	private BYTEA
);
CREATE INDEX products_list ON products (account_id, deleted, created, seq);
CREATE INDEX products_active ON products (account_id, deleted, active, created, seq);

CREATE TABLE prices (
	seq BIGSERIAL PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL,
	created BIGINT NOT NULL,
	product TEXT NOT NULL,
	active INTEGER NOT NULL,
	currency TEXT NOT NULL,
	type TEXT NOT NULL,
	recurring_interval TEXT,
	lookup_key TEXT,
	data BYTEA NOT NULL,
	deleted BOOLEAN NOT NULL DEFAULT FALSE,
	private BYTEA
);
CREATE INDEX prices_list ON prices (account_id, deleted, created, seq);
CREATE INDEX prices_product ON prices (account_id, deleted, product, created, seq);
CREATE INDEX prices_active ON prices (account_id, deleted, active, created, seq);
CREATE UNIQUE INDEX prices_lookup_key ON prices (account_id, lookup_key) WHERE lookup_key IS NOT NULL;

CREATE TABLE checkout_sessions (
	seq BIGSERIAL PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL,
	created BIGINT NOT NULL,
	customer TEXT,
	payment_intent TEXT,
	setup_intent TEXT,
	payment_link TEXT,
	status TEXT NOT NULL,
	expire_at BIGINT,
	data BYTEA NOT NULL,
	deleted BOOLEAN NOT NULL DEFAULT FALSE,
	private BYTEA
);
CREATE INDEX checkout_sessions_list ON checkout_sessions (account_id, deleted, created, seq);
CREATE INDEX checkout_sessions_customer ON checkout_sessions (account_id, deleted, customer, created, seq);
CREATE INDEX checkout_sessions_payment_intent ON checkout_sessions (account_id, deleted, payment_intent, created, seq);
CREATE INDEX checkout_sessions_setup_intent ON checkout_sessions (account_id, deleted, setup_intent, created, seq);
CREATE INDEX checkout_sessions_payment_link ON checkout_sessions (account_id, deleted, payment_link, created, seq);
CREATE INDEX checkout_sessions_status ON checkout_sessions (account_id, deleted, status, created, seq);
CREATE INDEX checkout_sessions_expire ON checkout_sessions (expire_at) WHERE expire_at IS NOT NULL;

CREATE TABLE payment_links (
	seq BIGSERIAL PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL,
	created BIGINT NOT NULL,
	active INTEGER NOT NULL,
	data BYTEA NOT NULL,
	deleted BOOLEAN NOT NULL DEFAULT FALSE,
	private BYTEA
);
CREATE INDEX payment_links_list ON payment_links (account_id, deleted, created, seq);
CREATE INDEX payment_links_active ON payment_links (account_id, deleted, active, created, seq);

CREATE TABLE payment_method_configurations (
	seq BIGSERIAL PRIMARY KEY,
	id TEXT NOT NULL UNIQUE,
	account_id TEXT NOT NULL,
	created BIGINT NOT NULL,
	is_default INTEGER NOT NULL,
	data BYTEA NOT NULL,
	deleted BOOLEAN NOT NULL DEFAULT FALSE,
	private BYTEA
);
CREATE INDEX payment_method_configurations_list ON payment_method_configurations (account_id, deleted, created, seq);
CREATE INDEX payment_method_configurations_default ON payment_method_configurations (account_id, deleted, is_default, created, seq);
