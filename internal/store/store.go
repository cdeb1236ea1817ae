// Package store is payd's storage boundary. Every resource keeps its rendered
// Stripe object as a JSON document plus the few columns it is filtered and
// ordered by, so a retrieve is one indexed lookup and the stored bytes are the
// response body. The same interface is implemented over SQLite and
// PostgreSQL; nothing in process memory is ever the source of truth.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// ErrNotFound is returned when a row does not exist for the given account.
// Callers never learn whether the id exists for another account.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when an insert collides with a unique key.
var ErrConflict = errors.New("store: conflict")

// Store opens transactions. Update runs fn in a read-write transaction that
// commits when fn returns nil and rolls back otherwise; View runs fn on a
// consistent read-only snapshot.
//
// Update may run fn more than once before it returns: again after a
// serialization conflict (PostgreSQL), or when a group commit (SQLite)
// replays its batch to undo a neighbour's failed write. Only the last run's
// writes remain, so fn must start afresh each time: assign what it reports
// to the caller rather than append to it, and leave its inputs unchanged.
type Store interface {
	Update(ctx context.Context, fn func(Tx) error) error
	View(ctx context.Context, fn func(Tx) error) error
	// Engine names the engine ("sqlite" or "postgres").
	Engine() string
	Close() error
}

// Tx is one transaction. Table and column names are always compile-time
// constants of the calling package, never user input.
type Tx interface {
	// Objects.
	Insert(ctx context.Context, table string, r Record) error
	// InsertNew inserts a record whose id the caller has just minted, so
	// that no row can already hold it. The engine may send the row with
	// the transaction's next statement or its commit rather than at once
	// (PostgreSQL does: a create+confirm's six rows then cost one round
	// trip instead of six), so a failure to write it fails the transaction
	// there; a duplicate id is such a failure, never ErrConflict. Reads in
	// the same transaction see the row. r's slices are not kept.
	InsertNew(ctx context.Context, table string, r Record) error
	// Get loads one row by id within an account.
	Get(ctx context.Context, table, account, id string) (Record, error)
	// GetForUpdate is Get with a row lock held until the transaction ends.
	GetForUpdate(ctx context.Context, table, account, id string) (Record, error)
	// Put replaces the data and columns of an existing row.
	Put(ctx context.Context, table string, r Record) error
	// SetPrivate replaces only the private data of an existing row: the
	// rendered object and the indexed columns stay as they are, and so do
	// their index entries.
	SetPrivate(ctx context.Context, table, account, id string, private []byte) error
	List(ctx context.Context, table string, q ListQuery) (Page, error)
	// AccountOf names the account owning id, for requests that reach an
	// object without an API key (hosted pages holding a secret token).
	AccountOf(ctx context.Context, table, id string) (string, error)
	// Due returns up to limit rows whose col (a unix-ms deadline) is at or
	// before deadline, oldest first, across accounts: work for sweepers.
	Due(ctx context.Context, table, col string, deadline int64, limit int) ([]Ref, error)

	// Accounts and keys.
	// Key looks up an API key.
	Key(ctx context.Context, key string) (APIKey, error)
	EnsureAccount(ctx context.Context, a Account) error
	AccountKeys(ctx context.Context, account string) ([]APIKey, error)
	AddKey(ctx context.Context, k APIKey) error
	Accounts(ctx context.Context) ([]Account, error)

	// Idempotency keys.
	ClaimIdempotencyKey(ctx context.Context, k IdempotencyKey, staleBefore time.Time) (IdempotencyKey, bool, error)
	FinishIdempotencyKey(ctx context.Context, account, key string, status int, body []byte) error
	ReleaseIdempotencyKey(ctx context.Context, account, key string) error
	PruneIdempotencyKeys(ctx context.Context, before time.Time) (int64, error)

	// Webhook deliveries (see Outbox).
	Outbox
}

// Record is one stored object.
type Record struct {
	ID      string
	Account string
	Created int64
	// Seq is assigned by the database on insert; it orders objects created in
	// the same second.
	Seq  int64
	Data []byte
	// Deleted rows stay retrievable (Stripe answers a deleted stub) but
	// never appear in lists.
	Deleted bool
	// Private is server-side state that is never rendered (a card's test
	// behaviour, say); nil when the resource has none.
	Private []byte
	// Cols are the table's extra columns (filters), in any order.
	Cols []Col
}

// Col is one extra column value.
type Col struct {
	Name  string
	Value any
}

// Filter restricts a list to rows whose column equals one of Values or
// matches one of the LIKE Patterns.
type Filter struct {
	Col      string
	Values   []any
	Patterns []string
}

// Range bounds the created column; nil bounds are open.
type Range struct {
	Gt, Gte, Lt, Lte *int64
}

// ListQuery is a keyset page request, newest first.
type ListQuery struct {
	Account string
	Filters []Filter
	Created Range
	Limit   int
	// After and Before are cursor object ids (starting_after, ending_before);
	// at most one is set. They must belong to the same table and account.
	After, Before string
	// DataOnly reads only each record's Data, the other fields staying
	// empty: a list the API renders needs only the objects, and every
	// column more is a conversion (and for text an allocation) per row.
	DataOnly bool
	// Each, when set, is handed each record's Data in page order instead
	// of Page.Records, which stays empty; it implies DataOnly. The data is
	// borrowed from the engine's driver and valid only until Each returns,
	// so that a page is copied once, into whatever the caller builds.
	Each func(data []byte)
}

// Page is one page of a list.
type Page struct {
	Records []Record
	HasMore bool
}

// ErrCursorNotFound is returned by List when After or Before names no row of
// the account.
var ErrCursorNotFound = errors.New("store: cursor not found")

// Ref names a row of some account.
type Ref struct {
	ID      string
	Account string
}

// Account is a tenant: everything it owns is invisible to other accounts.
type Account struct {
	ID      string
	Created int64
}

// Key kinds.
const (
	KeySecret      = "secret"
	KeyPublishable = "publishable"
)

// APIKey authenticates requests as an account.
type APIKey struct {
	Key     string
	Account string
	Kind    string
	Created int64
}

// Idempotency key states.
const (
	IdemInFlight = 0
	IdemDone     = 1
)

// IdempotencyKey is a stored Idempotency-Key. A key in flight whose lock is
// older than the stale bound belonged to a request that died; it may be
// claimed again.
type IdempotencyKey struct {
	Account     string
	Key         string
	RequestHash string
	State       int
	Status      int
	Body        []byte
	Created     int64
	LockedAt    int64
}

// Decode unmarshals a record's rendered object into data and, when it has
// any, its private state into private.
func Decode(r Record, data, private any) error {
	if err := json.Unmarshal(r.Data, data); err != nil {
		return err
	}
	if len(r.Private) > 0 && private != nil {
		return json.Unmarshal(r.Private, private)
	}
	return nil
}
