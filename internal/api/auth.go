package api

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

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
	var k store.APIKey
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		k, err = tx.Key(ctx, key)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return k, errs.Unauthorized("Invalid API Key provided: " + redact(key))
	}
	return k, err
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
