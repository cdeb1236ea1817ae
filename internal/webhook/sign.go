package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// Sign returns the Stripe-Signature header for body sent at t: the unix
// time and the hex HMAC-SHA256 of "t.body" keyed with the endpoint secret.
// Binding the timestamp into the MAC is what lets receivers (stripe-go's
// webhook.ConstructEvent and its siblings) refuse replays of old payloads.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}
