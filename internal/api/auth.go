package api

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/store"
)

const noKeyMessage = "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."

// authenticate resolves the request's API key, sent as the Basic auth user
// name or as a Bearer token, to its account.
func (s *Server) authenticate(ctx context.Context, r *http.Request) (store.APIKey, error) {
	key := apiKey(r)
	if key == "" {
		return store.APIKey{}, errs.Unauthorized(noKeyMessage)
	}
	if k, ok := s.keys.get(key, s.now()); ok {
		return k, nil
	}
	var k store.APIKey
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		k, err = tx.Key(ctx, key)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return k, errs.Unauthorized("Invalid API Key provided: " + redact(key))
	}
	if err == nil {
		s.keys.put(k, s.now())
	}
	return k, err
}

// keyCache remembers keys that authenticated recently, so a request does
// not pay a database round trip to learn what it learned a second ago. It
// only caches successes, for a short time: the database stays the truth
// for keys added or removed on any node.
type keyCache struct {
	mu sync.RWMutex
	m  map[string]cachedKey
}

type cachedKey struct {
	key     store.APIKey
	expires time.Time
}

const keyCacheTTL = 30 * time.Second

func (c *keyCache) get(key string, now time.Time) (store.APIKey, bool) {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if !ok || now.After(e.expires) {
		return store.APIKey{}, false
	}
	return e.key, true
}

func (c *keyCache) put(k store.APIKey, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 10_000 {
		c.m = map[string]cachedKey{}
	}
	c.m[k.Key] = cachedKey{key: k, expires: now.Add(keyCacheTTL)}
}

func apiKey(r *http.Request) string {
	h := r.Header.Get("Authorization")
	switch {
	case len(h) > 7 && strings.EqualFold(h[:7], "bearer "):
		return strings.TrimSpace(h[7:])
	case len(h) > 6 && strings.EqualFold(h[:6], "basic "):
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h[6:]))
		if err != nil {
			return ""
		}
		user, _, _ := strings.Cut(string(raw), ":")
		return user
	}
	return ""
}

// redact shows a key the way Stripe's error does: prefix, stars, last four.
func redact(key string) string {
	if len(key) <= 12 {
		return strings.Repeat("*", len(key))
	}
	prefix := key[:8]
	return prefix + strings.Repeat("*", len(key)-12) + key[len(key)-4:]
}
