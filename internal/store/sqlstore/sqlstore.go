// Package sqlstore implements store.Store over database/sql. SQLite and
// PostgreSQL share every query: both accept $n placeholders, ON CONFLICT and
// row-value comparisons, so the engines differ only in how they open
// connections, lock rows and number their migrations.
//
// One trap: SQLite binds $n placeholders in the order they first appear in
// the statement, not by n. Every query here therefore numbers its
// placeholders in the order they appear, and so must any new one.
package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/payd/payd/internal/store"
)

// Dialect is what differs between engines.
type Dialect struct {
	Name string
	// ForUpdate is appended to a SELECT that must lock its row.
	ForUpdate string
	// IsConflict reports whether err is a unique-constraint violation.
	IsConflict func(error) bool
	// Retryable reports whether a transaction failed only because of a
	// concurrent one (serialization failure, deadlock) and may be rerun.
	Retryable func(error) bool
	// InTx, given a driver connection (sql.Conn.Raw), reports whether it
	// is inside a transaction: some engines end one by themselves on
	// certain errors. Group commit asks it after a request fails.
	InTx func(driverConn any) bool
	// SendBatch, given a driver connection (sql.Conn.Raw) inside a
	// transaction, runs stmts, inserts, in one round trip and fails unless
	// each wrote its Rows. With it, write transactions defer InsertNew's
	// rows and webhook deliveries (see deferring); without it, they are
	// inserted at once.
	SendBatch func(ctx context.Context, driverConn any, stmts []Deferred) error
}

// DB is a store.Store over one or two *sql.DB. Writes go to W; reads go to R,
// which for SQLite is a separate pool of read-only connections so that reads
// never queue behind the single writer.
type DB struct {
	W, R    *sql.DB
	Dialect Dialect
	closers []func() error
	batch   *batcher
	cache   *recordCache
	// detachReads: see DetachReads.
	detachReads bool
	closeOnce   sync.Once
	closeErr    error
}

// New wraps already-open pools.
func New(w, r *sql.DB, d Dialect) *DB {
	return &DB{W: w, R: r, Dialect: d}
}

// EnableGroupCommit makes concurrent Updates share commits (see batcher).
// Only for engines whose writes go through a single connection. between,
// when not nil, runs on the writer's goroutine after every batch, while no
// write is in progress.
func (db *DB) EnableGroupCommit(between func()) {
	db.batch = newBatcher(db.W, &db.Dialect, between, db.cache)
}

// EnableRecordCache keeps up to maxBytes of rows read by id in memory (see
// recordCache), before EnableGroupCommit. Only for an engine that no other
// process writes: the cache learns of writes from this DB's transactions
// alone.
func (db *DB) EnableRecordCache(maxBytes int) {
	db.cache = newRecordCache(maxBytes)
}

// DetachReads makes reads run without the caller's context (see View).
// Only for an engine in this process (SQLite), whose reads cannot hang on
// a network or a stuck server: over a network the caller's context is what
// ends a read that would never answer.
func (db *DB) DetachReads() { db.detachReads = true }

// OnClose registers cleanup to run after the pools are closed.
func (db *DB) OnClose(f func() error) { db.closers = append(db.closers, f) }

func (db *DB) Engine() string { return db.Dialect.Name }

// Close finishes queued writes and closes the pools; later calls are no-ops.
func (db *DB) Close() error {
	db.closeOnce.Do(func() { db.closeErr = db.close() })
	return db.closeErr
}

func (db *DB) close() error {
	var errsOut []error
	if db.batch != nil {
		db.batch.close()
	}
	if db.R != nil && db.R != db.W {
		errsOut = append(errsOut, db.R.Close())
	}
	errsOut = append(errsOut, db.W.Close())
	for _, f := range db.closers {
		errsOut = append(errsOut, f())
	}
	return errors.Join(errsOut...)
}

// Update runs fn in a write transaction, retrying a few times when the
// engine reports a serialization conflict with a concurrent transaction.
func (db *DB) Update(ctx context.Context, fn func(store.Tx) error) error {
	if db.batch != nil {
		return db.batch.do(ctx, fn)
	}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = db.run(ctx, fn)
		if err == nil || db.Dialect.Retryable == nil || !db.Dialect.Retryable(err) {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 3 * time.Millisecond)
	}
	return err
}

// View runs fn's reads straight on the read pool, without BEGIN and
// COMMIT: a retrieve is one statement, and the round trips of a
// transaction would cost more than the read. Reads of one View therefore
// each see the latest committed state rather than one snapshot, which no
// API read depends on.
//
// After DetachReads the reads run without the caller's context, as group
// commit's writes do: a local read is one indexed statement over a bounded
// page, shorter than noticing a gone client would take, and a cancelable
// context costs database/sql a watcher goroutine per query and the driver
// an interrupt hook.
func (db *DB) View(ctx context.Context, fn func(store.Tx) error) error {
	var q querier = db.R
	if db.detachReads {
		q = uncancelable{db.R}
	}
	return fn(&tx{tx: q, d: &db.Dialect, subs: &subscribers{}, cache: db.cache})
}

func (db *DB) run(ctx context.Context, fn func(store.Tx) error) error {
	var (
		sqlTx *sql.Tx
		err   error
		def   *deferring
	)
	if db.Dialect.SendBatch != nil {
		// The transaction on a connection of its own, which the deferred
		// rows are sent on.
		conn, err := db.W.Conn(ctx)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		defer conn.Close()
		if sqlTx, err = conn.BeginTx(ctx, nil); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		def = &deferring{q: sqlTx, conn: conn, send: db.Dialect.SendBatch}
	} else if sqlTx, err = db.W.BeginTx(ctx, nil); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	var touched []cacheKey
	t := &tx{tx: sqlTx, d: &db.Dialect, subs: &subscribers{}, touched: &touched}
	if def != nil {
		t.tx, t.deferred = def, def
	}
	if db.cache != nil {
		defer func() { db.cache.invalidate(touched) }()
	}
	err = fn(t)
	if def != nil {
		switch {
		case def.err != nil:
			// A failed send is the transaction's cause of failure,
			// whatever fn made of the statements that followed it.
			err = def.err
		case err == nil:
			err = def.flush(ctx)
		}
		// A failing fn's held rows are not sent only to be rolled back.
	}
	if err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// querier is what a tx runs statements on: a *sql.Tx for writes, the
// pool itself for reads.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// uncancelable runs statements without the caller's context. Inside a
// group commit a request's context must not interrupt a transaction its
// neighbours share (each request's context is checked before its turn),
// and it spares the driver a watcher goroutine per statement.
type uncancelable struct{ q querier }

func (u uncancelable) ExecContext(_ context.Context, query string, args ...any) (sql.Result, error) {
	return u.q.ExecContext(context.Background(), query, args...)
}

func (u uncancelable) QueryContext(_ context.Context, query string, args ...any) (*sql.Rows, error) {
	return u.q.QueryContext(context.Background(), query, args...)
}

func (u uncancelable) QueryRowContext(_ context.Context, query string, args ...any) *sql.Row {
	return u.q.QueryRowContext(context.Background(), query, args...)
}

type tx struct {
	tx querier
	d  *Dialect
	// subs caches WebhookSubscribers by account: every event a request
	// records asks the same question, and so does every request of a
	// group-commit batch, which shares one cache (see batcher.run).
	// Writing a webhook endpoint forgets it.
	subs *subscribers
	// cache, in a read-only tx (View), answers Get (see recordCache).
	cache *recordCache
	// touched, in a write transaction, collects the rows it writes, for
	// the cache to drop once the transaction has ended.
	touched *[]cacheKey
	// deferred, in a write transaction on an engine with SendBatch, holds
	// InsertNew's rows until the next statement (it is also tx then).
	deferred *deferring
}

// touch records that the transaction writes row id of table.
func (t *tx) touch(table, id string) {
	if t.touched != nil {
		*t.touched = append(*t.touched, cacheKey{table, id})
	}
}

// subscribers is the WebhookSubscribers cache of one transaction.
type subscribers struct{ byAccount map[string][]store.Subscriber }

func (s *subscribers) forget() { s.byAccount = nil }

// webhookEndpoints is the table whose writes invalidate subscribers.
const webhookEndpoints = "webhook_endpoints"

const recordCols = "id, account_id, created, seq, data, deleted, private"

func (t *tx) Insert(ctx context.Context, table string, r store.Record) error {
	args := t.inserting(table, r)
	err := t.insert(ctx, statement(stmtInsert, table, r.Cols), args...)
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("insert %s: %w", table, err)
	}
	return err
}

func (t *tx) InsertNew(ctx context.Context, table string, r store.Record) error {
	if t.deferred == nil {
		err := t.Insert(ctx, table, r)
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("insert %s: id %s already taken", table, r.ID)
		}
		return err
	}
	args := t.inserting(table, r)
	// The caller may reuse its buffers once this returns.
	args[3], args[5] = bytes.Clone(r.Data), bytes.Clone(r.Private)
	t.deferred.add(statement(stmtInsert, table, r.Cols), args, 1)
	return nil
}

// inserting notes that the transaction inserts r into table and returns
// the arguments of the insert statement (see buildStatement).
func (t *tx) inserting(table string, r store.Record) []any {
	if table == webhookEndpoints {
		t.subs.forget()
	}
	t.touch(table, r.ID)
	args := make([]any, 0, 6+len(r.Cols))
	args = append(args, r.ID, r.Account, r.Created, r.Data, r.Deleted, r.Private)
	for _, c := range r.Cols {
		args = append(args, c.Value)
	}
	return args
}

// insert runs an INSERT … ON CONFLICT DO NOTHING and reports a row it did
// not write as store.ErrConflict; other errors are the driver's, for the
// caller to name.
func (t *tx) insert(ctx context.Context, q string, args ...any) error {
	res, err := t.tx.ExecContext(ctx, q, args...)
	if err != nil {
		if t.d.IsConflict(err) {
			return store.ErrConflict
		}
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return store.ErrConflict
	}
	return nil
}

func (t *tx) Get(ctx context.Context, table, account, id string) (store.Record, error) {
	if t.cache == nil {
		return t.get(ctx, table, account, id, "")
	}
	r, gen, ok := t.cache.get(table, id)
	if ok {
		if r.Account != account {
			return store.Record{}, store.ErrNotFound
		}
		return r, nil
	}
	r, err := t.get(ctx, table, account, id, "")
	if err == nil {
		t.cache.add(gen, table, r)
	}
	return r, err
}

func (t *tx) GetForUpdate(ctx context.Context, table, account, id string) (store.Record, error) {
	return t.get(ctx, table, account, id, t.d.ForUpdate)
}

func (t *tx) get(ctx context.Context, table, account, id, suffix string) (store.Record, error) {
	q := "SELECT " + recordCols + " FROM " + table + " WHERE id = $1 AND account_id = $2" + suffix
	r, err := scanRecord(t.tx.QueryRowContext(ctx, q, id, account))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Record{}, store.ErrNotFound
	}
	if err != nil {
		return store.Record{}, fmt.Errorf("get %s: %w", table, err)
	}
	return r, nil
}

func (t *tx) Put(ctx context.Context, table string, r store.Record) error {
	if table == webhookEndpoints {
		t.subs.forget()
	}
	t.touch(table, r.ID)
	args := make([]any, 0, 5+len(r.Cols))
	args = append(args, r.Data, r.Deleted, r.Private)
	for _, c := range r.Cols {
		args = append(args, c.Value)
	}
	args = append(args, r.ID, r.Account)
	if !r.Deleted {
		// Most updates are of a live row that stays live; only a row that
		// is deleted (or missing) needs the statement that sets deleted.
		if n, err := t.put(ctx, stmtPutLive, table, r.Cols, args); err != nil || n > 0 {
			return err
		}
	}
	n, err := t.put(ctx, stmtPut, table, r.Cols, args)
	if err == nil && n == 0 {
		return store.ErrNotFound
	}
	return err
}

// put runs an update statement of kind and returns the rows it changed.
func (t *tx) put(ctx context.Context, kind stmtKind, table string, cols []store.Col, args []any) (int64, error) {
	res, err := t.tx.ExecContext(ctx, statement(kind, table, cols), args...)
	if err != nil {
		if t.d.IsConflict(err) {
			return 0, fmt.Errorf("update %s: %w", table, store.ErrConflict)
		}
		return 0, fmt.Errorf("update %s: %w", table, err)
	}
	return res.RowsAffected()
}

func (t *tx) SetPrivate(ctx context.Context, table, account, id string, private []byte) error {
	if table == webhookEndpoints {
		t.subs.forget() // an endpoint's secret is private
	}
	t.touch(table, id)
	res, err := t.tx.ExecContext(ctx, "UPDATE "+table+" SET private = $1 WHERE id = $2 AND account_id = $3", private, id, account)
	if err != nil {
		return fmt.Errorf("update %s: %w", table, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// List reads one page newest first. The order is (created, seq) descending,
// and every table has an index on (account_id, created, seq) (plus one per
// filter column), so a page costs the same at any table size.
func (t *tx) List(ctx context.Context, table string, q store.ListQuery) (store.Page, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where = append(where, "account_id = "+arg(q.Account), "deleted = "+arg(false))
	for _, f := range q.Filters {
		var or []string
		switch len(f.Values) {
		case 0:
		case 1:
			or = append(or, f.Col+" = "+arg(f.Values[0]))
		default:
			ph := make([]string, len(f.Values))
			for i, v := range f.Values {
				ph[i] = arg(v)
			}
			or = append(or, f.Col+" IN ("+strings.Join(ph, ", ")+")")
		}
		for _, pat := range f.Patterns {
			or = append(or, f.Col+" LIKE "+arg(pat)+" ESCAPE '\\'")
		}
		if len(or) == 0 {
			where = append(where, "FALSE")
			continue
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	if r := q.Created; r.Gt != nil {
		where = append(where, "created > "+arg(*r.Gt))
	}
	if r := q.Created; r.Gte != nil {
		where = append(where, "created >= "+arg(*r.Gte))
	}
	if r := q.Created; r.Lt != nil {
		where = append(where, "created < "+arg(*r.Lt))
	}
	if r := q.Created; r.Lte != nil {
		where = append(where, "created <= "+arg(*r.Lte))
	}
	order := "DESC"
	cursor := q.After
	if q.Before != "" {
		order = "ASC"
		cursor = q.Before
	}
	if cursor != "" {
		var created, seq int64
		err := t.tx.QueryRowContext(ctx, "SELECT created, seq FROM "+table+" WHERE id = $1 AND account_id = $2",
			cursor, q.Account).Scan(&created, &seq)
		if errors.Is(err, sql.ErrNoRows) {
			return store.Page{}, store.ErrCursorNotFound
		}
		if err != nil {
			return store.Page{}, fmt.Errorf("list %s cursor: %w", table, err)
		}
		op := "<"
		if q.Before != "" {
			op = ">"
		}
		where = append(where, "(created, seq) "+op+" ("+arg(created)+", "+arg(seq)+")")
	}
	limit := q.Limit
	cols := recordCols
	if q.DataOnly || q.Each != nil {
		cols = "data"
	}
	sqlText := "SELECT " + cols + " FROM " + table + " WHERE " + strings.Join(where, " AND ") +
		" ORDER BY created " + order + ", seq " + order + " LIMIT " + strconv.Itoa(limit+1)
	rows, err := t.tx.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return store.Page{}, fmt.Errorf("list %s: %w", table, err)
	}
	defer rows.Close()
	if q.Each != nil && q.Before == "" {
		return eachData(rows, table, limit, q.Each)
	}
	page := store.Page{Records: make([]store.Record, 0, limit+1)}
	for rows.Next() {
		var r store.Record
		if q.DataOnly || q.Each != nil {
			err = rows.Scan(&r.Data)
		} else {
			r, err = scanRecord(rows)
		}
		if err != nil {
			return store.Page{}, fmt.Errorf("list %s: %w", table, err)
		}
		page.Records = append(page.Records, r)
	}
	if err := rows.Err(); err != nil {
		return store.Page{}, fmt.Errorf("list %s: %w", table, err)
	}
	if len(page.Records) > limit {
		page.HasMore = true
		page.Records = page.Records[:limit]
	}
	if q.Before != "" {
		// Read oldest-first to find the page just before the cursor; the
		// API still answers newest first.
		for i, j := 0, len(page.Records)-1; i < j; i, j = i+1, j-1 {
			page.Records[i], page.Records[j] = page.Records[j], page.Records[i]
		}
	}
	if q.Each != nil {
		for _, r := range page.Records {
			q.Each(r.Data)
		}
		page.Records = nil
	}
	return page, nil
}

// eachData hands the data of up to limit rows, in the order read, to each
// without copying them (sql.RawBytes points into the driver's buffer),
// and reports whether a further row exists.
func eachData(rows *sql.Rows, table string, limit int, each func([]byte)) (store.Page, error) {
	var page store.Page
	for n := 0; rows.Next(); n++ {
		if n == limit {
			page.HasMore = true
			break
		}
		var data sql.RawBytes
		if err := rows.Scan(&data); err != nil {
			return store.Page{}, fmt.Errorf("list %s: %w", table, err)
		}
		each(data)
	}
	if err := rows.Err(); err != nil {
		return store.Page{}, fmt.Errorf("list %s: %w", table, err)
	}
	return page, nil
}

func (t *tx) AccountOf(ctx context.Context, table, id string) (string, error) {
	var account string
	err := t.tx.QueryRowContext(ctx, "SELECT account_id FROM "+table+" WHERE id = $1", id).Scan(&account)
	if errors.Is(err, sql.ErrNoRows) {
		return "", store.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("account of %s: %w", table, err)
	}
	return account, nil
}

func (t *tx) Due(ctx context.Context, table, col string, deadline int64, limit int) ([]store.Ref, error) {
	rows, err := t.tx.QueryContext(ctx, "SELECT id, account_id FROM "+table+" WHERE "+col+" IS NOT NULL AND "+col+
		" <= $1 ORDER BY "+col+" LIMIT "+strconv.Itoa(limit), deadline)
	if err != nil {
		return nil, fmt.Errorf("due %s: %w", table, err)
	}
	defer rows.Close()
	var out []store.Ref
	for rows.Next() {
		var r store.Ref
		if err := rows.Scan(&r.ID, &r.Account); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

type scanner interface{ Scan(...any) error }

func scanRecord(s scanner) (store.Record, error) {
	var r store.Record
	err := s.Scan(&r.ID, &r.Account, &r.Created, &r.Seq, &r.Data, &r.Deleted, &r.Private)
	return r, err
}

func placeholders(from, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
	}
	return b.String()
}

func (t *tx) Key(ctx context.Context, key string) (store.APIKey, error) {
	k := store.APIKey{Key: key}
	err := t.tx.QueryRowContext(ctx, "SELECT account_id, kind, created FROM api_keys WHERE key = $1", key).
		Scan(&k.Account, &k.Kind, &k.Created)
	if errors.Is(err, sql.ErrNoRows) {
		return k, store.ErrNotFound
	}
	if err != nil {
		return k, fmt.Errorf("key: %w", err)
	}
	return k, nil
}

// EnsureAccount creates the account unless it exists; concurrent nodes
// starting together converge on one row.
func (t *tx) EnsureAccount(ctx context.Context, a store.Account) error {
	_, err := t.tx.ExecContext(ctx, "INSERT INTO accounts (id, created) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", a.ID, a.Created)
	if err != nil {
		return fmt.Errorf("ensure account: %w", err)
	}
	// Lock the account row so two nodes creating its first keys serialize.
	var id string
	if err := t.tx.QueryRowContext(ctx, "SELECT id FROM accounts WHERE id = $1"+t.d.ForUpdate, a.ID).Scan(&id); err != nil {
		return fmt.Errorf("lock account: %w", err)
	}
	return nil
}

func (t *tx) Accounts(ctx context.Context) ([]store.Account, error) {
	rows, err := t.tx.QueryContext(ctx, "SELECT id, created FROM accounts ORDER BY created, id")
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	defer rows.Close()
	var out []store.Account
	for rows.Next() {
		var a store.Account
		if err := rows.Scan(&a.ID, &a.Created); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (t *tx) AccountKeys(ctx context.Context, account string) ([]store.APIKey, error) {
	rows, err := t.tx.QueryContext(ctx, "SELECT key, account_id, kind, created FROM api_keys WHERE account_id = $1 ORDER BY kind DESC, created", account)
	if err != nil {
		return nil, fmt.Errorf("account keys: %w", err)
	}
	defer rows.Close()
	var out []store.APIKey
	for rows.Next() {
		var k store.APIKey
		if err := rows.Scan(&k.Key, &k.Account, &k.Kind, &k.Created); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func (t *tx) AddKey(ctx context.Context, k store.APIKey) error {
	err := t.insert(ctx, "INSERT INTO api_keys (key, account_id, kind, created) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
		k.Key, k.Account, k.Kind, k.Created)
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("add key: %w", err)
	}
	return err
}

// ClaimIdempotencyKey inserts k as in flight. When the key exists it returns
// the stored row and false, unless that row is in flight with a lock older
// than staleBefore: its request died, and k takes it over.
func (t *tx) ClaimIdempotencyKey(ctx context.Context, k store.IdempotencyKey, staleBefore time.Time) (store.IdempotencyKey, bool, error) {
	res, err := t.tx.ExecContext(ctx,
		`INSERT INTO idempotency_keys (account_id, key, request_hash, state, status, body, created, locked_at)
		 VALUES ($1, $2, $3, 0, 0, NULL, $4, $5) ON CONFLICT (account_id, key) DO NOTHING`,
		k.Account, k.Key, k.RequestHash, k.Created, k.LockedAt)
	if err != nil {
		return k, false, fmt.Errorf("claim idempotency key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return k, true, nil
	}
	var got store.IdempotencyKey
	var body []byte
	err = t.tx.QueryRowContext(ctx,
		"SELECT account_id, key, request_hash, state, status, body, created, locked_at FROM idempotency_keys WHERE account_id = $1 AND key = $2"+t.d.ForUpdate,
		k.Account, k.Key).Scan(&got.Account, &got.Key, &got.RequestHash, &got.State, &got.Status, &body, &got.Created, &got.LockedAt)
	if errors.Is(err, sql.ErrNoRows) {
		// Pruned between our insert and select: let the caller retry.
		return k, false, fmt.Errorf("claim idempotency key: row vanished")
	}
	if err != nil {
		return k, false, fmt.Errorf("claim idempotency key: %w", err)
	}
	got.Body = body
	if got.State == store.IdemInFlight && got.RequestHash == k.RequestHash && got.LockedAt < staleBefore.UnixMilli() {
		_, err := t.tx.ExecContext(ctx, "UPDATE idempotency_keys SET locked_at = $1 WHERE account_id = $2 AND key = $3",
			k.LockedAt, k.Account, k.Key)
		if err != nil {
			return k, false, fmt.Errorf("take over idempotency key: %w", err)
		}
		return k, true, nil
	}
	return got, false, nil
}

func (t *tx) FinishIdempotencyKey(ctx context.Context, account, key string, status int, body []byte) error {
	_, err := t.tx.ExecContext(ctx, "UPDATE idempotency_keys SET state = 1, status = $1, body = $2 WHERE account_id = $3 AND key = $4",
		status, body, account, key)
	if err != nil {
		return fmt.Errorf("finish idempotency key: %w", err)
	}
	return nil
}

func (t *tx) ReleaseIdempotencyKey(ctx context.Context, account, key string) error {
	_, err := t.tx.ExecContext(ctx, "DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND state = 0", account, key)
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}

func (t *tx) PruneIdempotencyKeys(ctx context.Context, before time.Time) (int64, error) {
	res, err := t.tx.ExecContext(ctx, "DELETE FROM idempotency_keys WHERE created < $1", before.Unix())
	if err != nil {
		return 0, fmt.Errorf("prune idempotency keys: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
