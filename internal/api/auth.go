package api

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/store"
)

const noKeyMessage = "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."

// forbiddenPublishable is Stripe's answer to a publishable key on an
// endpoint that takes only secret keys.
const forbiddenPublishable = "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys."

// authorize resolves key to its account and checks that it may call an
// endpoint of access acc.
func (s *Server) authorize(ctx context.Context, key string, acc access) (store.APIKey, error) {
	k, err := s.authenticate(ctx, key)
	if err == nil && k.Kind == store.KeyPublishable && acc != publishableToo {
		return k, errs.Forbidden(forbiddenPublishable)
	}
	return k, err
}

// authorizeParam is authorize for a key sent as the key parameter, which
// browser libraries use for publishable keys: a request without an
// Authorization header is one the browser sends without asking the server
// first (a "simple" cross-origin request). Secret keys are refused there:
// a parameter ends up in URLs and logs.
func (s *Server) authorizeParam(ctx context.Context, key string, acc access) (store.APIKey, error) {
	k, err := s.authorize(ctx, key, acc)
	if err == nil && k.Kind != store.KeyPublishable {
		return store.APIKey{}, errs.Unauthorized("A secret API key cannot be sent as the key parameter. Send it in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")
	}
	return k, err
}

// takeKeyParam takes the key parameter out of a raw query string or form
// body and returns what is left and the key ("" when there is none).
func takeKeyParam(raw string) (rest, key string) {
	if !strings.HasPrefix(raw, "key=") && !strings.Contains(raw, "&key=") {
		return raw, ""
	}
	pairs := strings.Split(raw, "&")
	kept := pairs[:0]
	for _, p := range pairs {
		if v, ok := strings.CutPrefix(p, "key="); ok {
			if u, err := url.QueryUnescape(v); err == nil {
				key = u
			}
			continue
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, "&"), key
}

// authenticate resolves an API key, sent as the Basic auth user name, as
// a Bearer token or as the key parameter, to its account.
func (s *Server) authenticate(ctx context.Context, key string) (store.APIKey, error) {
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
