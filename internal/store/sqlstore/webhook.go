package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/payd/payd/internal/store"
)

// The Outbox methods. Status literals are written into the SQL rather than
// bound, so that PostgreSQL and SQLite both see that a query matches the
// partial index on pending deliveries.

func (t *tx) WebhookSubscribers(ctx context.Context, account string) ([]store.Subscriber, error) {
	if subs, ok := t.subs.byAccount[account]; ok {
		return subs, nil
	}
	subs, err := t.webhookSubscribers(ctx, account)
	if err != nil {
		return nil, err
	}
	if t.subs.byAccount == nil {
		t.subs.byAccount = map[string][]store.Subscriber{}
	}
	t.subs.byAccount[account] = subs
	return subs, nil
}

func (t *tx) webhookSubscribers(ctx context.Context, account string) ([]store.Subscriber, error) {
	rows, err := t.tx.QueryContext(ctx, "SELECT id, url, enabled_events FROM webhook_endpoints WHERE account_id = $1 AND deleted = $2 AND status = 'enabled' ORDER BY created, seq",
		account, false)
	if err != nil {
		return nil, fmt.Errorf("webhook subscribers: %w", err)
	}
	defer rows.Close()
	var out []store.Subscriber
	for rows.Next() {
		var s store.Subscriber
		var events string
		if err := rows.Scan(&s.ID, &s.URL, &events); err != nil {
			return nil, fmt.Errorf("webhook subscribers: %w", err)
		}
		s.Events = strings.Split(events, ",")
		out = append(out, s)
	}
	return out, rows.Err()
}

func (t *tx) InsertDeliveries(ctx context.Context, ds []store.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	const cols = 8
	var b strings.Builder
	b.WriteString("INSERT INTO webhook_deliveries (id, account_id, event_id, endpoint_id, url, status, created, next_attempt_at) VALUES ")
	args := make([]any, 0, cols*len(ds))
	for i, d := range ds {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + placeholders(len(args)+1, cols) + ")")
		args = append(args, d.ID, d.Account, d.Event, d.Endpoint, d.URL, d.Status, d.Created, d.NextAttemptAt)
	}
	if t.deferred != nil {
		// Fresh ids, like InsertNew's rows.
		t.deferred.add(b.String(), args, int64(len(ds)))
		return nil
	}
	if _, err := t.tx.ExecContext(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("insert deliveries: %w", err)
	}
	return nil
}

func (t *tx) NextDeliveryAt(ctx context.Context) (int64, bool, error) {
	var at int64
	err := t.tx.QueryRowContext(ctx, "SELECT next_attempt_at FROM webhook_deliveries WHERE status = 'pending' ORDER BY next_attempt_at LIMIT 1").Scan(&at)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("next delivery: %w", err)
	}
	return at, true, nil
}

// DueEndpoints walks the partial index on (endpoint_id, next_attempt_at)
// one endpoint at a time (a loose index scan: each step seeks to the next
// endpoint id), so its cost grows with the number of endpoints that have
// pending deliveries, not with the number of deliveries. Whether an
// endpoint is due is its earliest pending delivery, one index lookup (an
// EXISTS with the time bound made PostgreSQL scan the whole backlog).
func (t *tx) DueEndpoints(ctx context.Context, now int64, after string, limit int) ([]string, error) {
	rows, err := t.tx.QueryContext(ctx, `WITH RECURSIVE eps(ep) AS (
		SELECT (SELECT endpoint_id FROM webhook_deliveries WHERE status = 'pending' AND endpoint_id > $1 ORDER BY endpoint_id LIMIT 1)
		UNION ALL
		SELECT (SELECT endpoint_id FROM webhook_deliveries WHERE status = 'pending' AND endpoint_id > eps.ep ORDER BY endpoint_id LIMIT 1)
		FROM eps WHERE eps.ep IS NOT NULL
	)
	SELECT ep FROM eps WHERE ep IS NOT NULL AND (
		SELECT MIN(d.next_attempt_at) FROM webhook_deliveries d WHERE d.status = 'pending' AND d.endpoint_id = eps.ep
	) <= $2 LIMIT `+strconv.Itoa(limit), after, now)
	if err != nil {
		return nil, fmt.Errorf("due endpoints: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ep string
		if err := rows.Scan(&ep); err != nil {
			return nil, fmt.Errorf("due endpoints: %w", err)
		}
		out = append(out, ep)
	}
	return out, rows.Err()
}

// ClaimDeliveries selects and leases in one statement. On PostgreSQL the
// selection takes row locks with SKIP LOCKED, so concurrent claims on
// several nodes each get different rows instead of queueing on the same
// ones; a row another node leased and committed a moment ago no longer
// matches next_attempt_at <= now when its lock is taken, so it is skipped
// too. On SQLite the single writer already runs claims one at a time.
func (t *tx) ClaimDeliveries(ctx context.Context, q store.Claim) ([]store.Delivery, error) {
	lock := ""
	if t.d.ForUpdate != "" {
		lock = t.d.ForUpdate + " SKIP LOCKED"
	}
	// Placeholders are numbered in the order they appear: SQLite binds
	// $n by first appearance, not by n.
	query := "WITH due AS (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND endpoint_id = $1 AND next_attempt_at <= $2" +
		" ORDER BY next_attempt_at LIMIT " + strconv.Itoa(q.Limit) + lock + ")" +
		" UPDATE webhook_deliveries SET next_attempt_at = $3, lease = $4 WHERE id IN (SELECT id FROM due)" +
		" RETURNING id, account_id, event_id, endpoint_id, url, status, created, attempts"
	args := []any{q.Endpoint, q.Now, q.LeaseUntil, q.Lease}
	rows, err := t.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	defer rows.Close()
	var out []store.Delivery
	for rows.Next() {
		d := store.Delivery{NextAttemptAt: q.LeaseUntil}
		if err := rows.Scan(&d.ID, &d.Account, &d.Event, &d.Endpoint, &d.URL, &d.Status, &d.Created, &d.Attempts); err != nil {
			return nil, fmt.Errorf("claim deliveries: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// EventData looks events up by id alone, which the unique index on id
// answers directly, and checks the account afterwards: with the account in
// the WHERE clause SQLite prefers the (account_id, …) list index and reads
// every event of the account.
func (t *tx) EventData(ctx context.Context, account string, ids []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := t.tx.QueryContext(ctx, "SELECT id, account_id, data FROM events WHERE id IN ("+placeholders(1, len(ids))+")", args...)
	if err != nil {
		return nil, fmt.Errorf("event data: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, owner string
		var data []byte
		if err := rows.Scan(&id, &owner, &data); err != nil {
			return nil, fmt.Errorf("event data: %w", err)
		}
		if owner == account {
			out[id] = data
		}
	}
	return out, rows.Err()
}

func (t *tx) FinishAttempt(ctx context.Context, d store.Delivery, lease string, a store.Attempt) (bool, error) {
	var status, errText any
	if a.HTTPStatus != 0 {
		status = a.HTTPStatus
	}
	if a.Error != "" {
		errText = a.Error
	}
	_, err := t.tx.ExecContext(ctx, "INSERT INTO webhook_attempts (delivery_id, attempted_at, http_status, latency_ms, response_excerpt, error) VALUES ($1, $2, $3, $4, $5, $6)",
		d.ID, a.AttemptedAt, status, a.LatencyMS, a.ResponseExcerpt, errText)
	if err != nil {
		return false, fmt.Errorf("insert attempt: %w", err)
	}
	var next any
	if d.NextAttemptAt != 0 {
		next = d.NextAttemptAt
	}
	res, err := t.tx.ExecContext(ctx, "UPDATE webhook_deliveries SET status = $1, next_attempt_at = $2, url = $3, attempts = attempts + 1, lease = NULL WHERE id = $4 AND lease = $5",
		d.Status, next, d.URL, d.ID, lease)
	if err != nil {
		return false, fmt.Errorf("finish delivery: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, nil
	}
	// The lease ran out and another worker holds the row: the attempt
	// happened all the same, so it still counts.
	if _, err := t.tx.ExecContext(ctx, "UPDATE webhook_deliveries SET attempts = attempts + 1 WHERE id = $1", d.ID); err != nil {
		return false, fmt.Errorf("count attempt: %w", err)
	}
	return false, nil
}

func (t *tx) AbandonDelivery(ctx context.Context, id, lease string) (bool, error) {
	res, err := t.tx.ExecContext(ctx, "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, lease = NULL WHERE id = $1 AND lease = $2 AND status = 'pending'",
		id, lease)
	if err != nil {
		return false, fmt.Errorf("abandon delivery: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (t *tx) EventDeliveries(ctx context.Context, account, event string) ([]store.Delivery, error) {
	rows, err := t.tx.QueryContext(ctx, "SELECT id, account_id, event_id, endpoint_id, url, status, created, next_attempt_at, attempts FROM webhook_deliveries WHERE account_id = $1 AND event_id = $2 ORDER BY seq",
		account, event)
	if err != nil {
		return nil, fmt.Errorf("event deliveries: %w", err)
	}
	var out []store.Delivery
	index := map[string]int{}
	for rows.Next() {
		var d store.Delivery
		var next sql.NullInt64
		if err := rows.Scan(&d.ID, &d.Account, &d.Event, &d.Endpoint, &d.URL, &d.Status, &d.Created, &next, &d.Attempts); err != nil {
			rows.Close()
			return nil, fmt.Errorf("event deliveries: %w", err)
		}
		d.NextAttemptAt = next.Int64
		index[d.ID] = len(out)
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("event deliveries: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	args := make([]any, len(out))
	for i, d := range out {
		args[i] = d.ID
	}
	rows, err = t.tx.QueryContext(ctx, "SELECT delivery_id, attempted_at, http_status, latency_ms, response_excerpt, error FROM webhook_attempts WHERE delivery_id IN ("+
		placeholders(1, len(args))+") ORDER BY seq", args...)
	if err != nil {
		return nil, fmt.Errorf("delivery attempts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var a store.Attempt
		var status sql.NullInt64
		var errText sql.NullString
		if err := rows.Scan(&id, &a.AttemptedAt, &status, &a.LatencyMS, &a.ResponseExcerpt, &errText); err != nil {
			return nil, fmt.Errorf("delivery attempts: %w", err)
		}
		a.HTTPStatus, a.Error = int(status.Int64), errText.String
		if i, ok := index[id]; ok {
			out[i].History = append(out[i].History, a)
		}
	}
	return out, rows.Err()
}

// EndpointHealth changes the endpoint row only when its streak starts or
// ends, so the steady state (a healthy endpoint answering, or a dead one
// still failing) takes no row lock and concurrent deliveries to one
// endpoint never queue on it.
func (t *tx) EndpointHealth(ctx context.Context, account, endpoint string, ok bool, now int64) (int64, error) {
	if ok {
		_, err := t.tx.ExecContext(ctx, "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND account_id = $2 AND failing_since IS NOT NULL",
			endpoint, account)
		if err != nil {
			return 0, fmt.Errorf("endpoint health: %w", err)
		}
		return 0, nil
	}
	_, err := t.tx.ExecContext(ctx, "UPDATE webhook_endpoints SET failing_since = $1 WHERE id = $2 AND account_id = $3 AND failing_since IS NULL",
		now, endpoint, account)
	if err != nil {
		return 0, fmt.Errorf("endpoint health: %w", err)
	}
	var since sql.NullInt64
	err = t.tx.QueryRowContext(ctx, "SELECT failing_since FROM webhook_endpoints WHERE id = $1 AND account_id = $2", endpoint, account).Scan(&since)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("endpoint health: %w", err)
	}
	return since.Int64, nil
}
