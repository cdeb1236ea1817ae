// Package account provisions tenants and their API keys. Declared key pairs
// map to deterministic account ids, so every node started with the same
// --key flags converges on the same accounts without coordination.
package account

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/payd/payd/internal/id"
	"github.com/payd/payd/internal/store"
)

// Pair is one account's secret and publishable key.
type Pair struct {
	Account     string
	Secret      string
	Publishable string
}

// ParsePair reads "sk_test_…:pk_test_…".
func ParsePair(s string) (Pair, error) {
	sk, pk, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || !strings.HasPrefix(sk, "sk_") || !strings.HasPrefix(pk, "pk_") {
		return Pair{}, fmt.Errorf("key pair %q: want SECRET:PUBLISHABLE, e.g. sk_test_…:pk_test_…", s)
	}
	return Pair{Secret: sk, Publishable: pk}, nil
}

// defaultAccount is the account made on a first start without --key.
const defaultAccount = "acct_default"

// Ensure makes sure every declared pair exists as its own account. With no
// pairs it makes (once) a default account with fresh random keys. It
// returns every account's keys, to be printed.
func Ensure(ctx context.Context, st store.Store, pairs []Pair, now time.Time) ([]Pair, error) {
	var out []Pair
	err := st.Update(ctx, func(tx store.Tx) error {
		out = out[:0]
		if len(pairs) == 0 {
			p, err := ensureDefault(ctx, tx, now)
			out = append(out, p)
			return err
		}
		for _, p := range pairs {
			p.Account = accountFor(p.Secret)
			if err := ensurePair(ctx, tx, p, now); err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

func ensureDefault(ctx context.Context, tx store.Tx, now time.Time) (Pair, error) {
	p := Pair{Account: defaultAccount}
	if err := tx.EnsureAccount(ctx, store.Account{ID: defaultAccount, Created: now.Unix()}); err != nil {
		return p, err
	}
	keys, err := tx.AccountKeys(ctx, defaultAccount)
	if err != nil {
		return p, err
	}
	if len(keys) == 0 {
		p.Secret = "sk_test_" + id.Random(24)
		p.Publishable = "pk_test_" + id.Random(24)
		return p, addKeys(ctx, tx, p, now)
	}
	for _, k := range keys {
		switch k.Kind {
		case store.KeySecret:
			p.Secret = k.Key
		case store.KeyPublishable:
			p.Publishable = k.Key
		}
	}
	return p, nil
}

func ensurePair(ctx context.Context, tx store.Tx, p Pair, now time.Time) error {
	if err := tx.EnsureAccount(ctx, store.Account{ID: p.Account, Created: now.Unix()}); err != nil {
		return err
	}
	for _, k := range []store.APIKey{
		{Key: p.Secret, Kind: store.KeySecret},
		{Key: p.Publishable, Kind: store.KeyPublishable},
	} {
		got, err := tx.Key(ctx, k.Key)
		switch {
		case errors.Is(err, store.ErrNotFound):
			k.Account, k.Created = p.Account, now.Unix()
			if err := tx.AddKey(ctx, k); err != nil {
				return err
			}
		case err != nil:
			return err
		case got.Account != p.Account || got.Kind != k.Kind:
			return fmt.Errorf("key %s…: already belongs to another account or is of another kind", k.Key[:min(len(k.Key), 12)])
		}
	}
	return nil
}

func addKeys(ctx context.Context, tx store.Tx, p Pair, now time.Time) error {
	if err := tx.AddKey(ctx, store.APIKey{Key: p.Secret, Account: p.Account, Kind: store.KeySecret, Created: now.Unix()}); err != nil {
		return err
	}
	return tx.AddKey(ctx, store.APIKey{Key: p.Publishable, Account: p.Account, Kind: store.KeyPublishable, Created: now.Unix()})
}

// accountFor derives a stable account id from a secret key.
func accountFor(secret string) string {
	sum := sha256.Sum256([]byte("payd-account:" + secret))
	return "acct_" + new(big.Int).SetBytes(sum[:12]).Text(62)
}
