package api

import (
	"context"
	"time"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/store"
)

// maxIdempotencyKey is Stripe's limit on the key's length.
const maxIdempotencyKey = 255

type replay struct {
	status int
	body   []byte
}

// claimIdempotencyKey records key as in flight for this request, in its own
// committed transaction so that every node sees it. It returns a replay
// when the key already finished with the same inputs, and an error when the
// inputs differ or the key's first request is still running.
func (s *Server) claimIdempotencyKey(ctx context.Context, account, key, method, path string, tree map[string]any) (*replay, error) {
	if len(key) > maxIdempotencyKey {
		return nil, errs.Invalid("", "", "Idempotency-Key must be at most %d characters long.", maxIdempotencyKey)
	}
	now := s.now()
	want := store.IdempotencyKey{
		Account: account, Key: key, RequestHash: requestHash(method, path, tree),
		Created: now.Unix(), LockedAt: now.UnixMilli(),
	}
	var got store.IdempotencyKey
	var claimed bool
	err := s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		got, claimed, err = tx.ClaimIdempotencyKey(ctx, want, now.Add(-s.lease))
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case claimed:
		return nil, nil
	case got.RequestHash != want.RequestHash:
		return nil, errs.Idempotency("Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '" + key + "' if you meant to execute a different request.")
	case got.State == store.IdemInFlight:
		return nil, errs.Conflict("There is currently another in-progress request using this Stripe token (probably the same Idempotency-Key). Try again later.")
	}
	return &replay{status: got.Status, body: got.Body}, nil
}

// releaseIdempotencyKey forgets an in-flight key whose request committed
// nothing. It runs even if the client went away.
func (s *Server) releaseIdempotencyKey(ctx context.Context, account, key string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := s.store.Update(ctx, func(tx store.Tx) error {
		return tx.ReleaseIdempotencyKey(ctx, account, key)
	})
	if err != nil {
		s.log.Error("release idempotency key", "err", err)
	}
}
