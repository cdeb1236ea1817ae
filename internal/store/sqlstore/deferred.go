package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
)

// Deferred is an insert held back to be sent with others (see
// Dialect.SendBatch).
type Deferred struct {
	Query string
	Args  []any
	// Rows is how many rows it must write.
	Rows int64
}

// deferring is the querier of a write transaction on an engine with
// Dialect.SendBatch: rows inserted with InsertNew, and webhook
// deliveries, wait in pending and are sent together, in the order they
// were inserted, before the transaction's next statement or its commit,
// so that several inserts cost one round trip to the server. Every
// statement sends what is pending first: a read sees every row inserted
// before it.
type deferring struct {
	q       querier   // the *sql.Tx
	conn    *sql.Conn // the connection the transaction runs on
	send    func(ctx context.Context, driverConn any, stmts []Deferred) error
	pending []Deferred
	// err is the first failure to send pending rows. It stays: the
	// transaction must then fail, whatever its function returns.
	err error
}

func (d *deferring) add(query string, args []any, rows int64) {
	d.pending = append(d.pending, Deferred{Query: query, Args: args, Rows: rows})
}

// flush sends the pending rows.
func (d *deferring) flush(ctx context.Context) error {
	if d.err != nil || len(d.pending) == 0 {
		return d.err
	}
	stmts := d.pending
	d.pending = nil
	err := d.conn.Raw(func(dc any) error { return d.send(ctx, dc, stmts) })
	if err != nil {
		d.err = fmt.Errorf("insert: %w", err)
	}
	return d.err
}

func (d *deferring) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := d.flush(ctx); err != nil {
		return nil, err
	}
	return d.q.ExecContext(ctx, query, args...)
}

func (d *deferring) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := d.flush(ctx); err != nil {
		return nil, err
	}
	return d.q.QueryContext(ctx, query, args...)
}

// QueryRowContext cannot report a failed flush itself; the transaction
// does (see DB.run), since the error stays in d.err.
func (d *deferring) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	d.flush(ctx)
	return d.q.QueryRowContext(ctx, query, args...)
}
