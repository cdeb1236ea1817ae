package webhook_test

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	stripewebhook "github.com/stripe/stripe-go/v85/webhook"

	"github.com/payd/payd/internal/webhook"
)

func TestSign_IsStripesScheme(t *testing.T) {
	at := time.Unix(1_700_000_000, 0)
	body := []byte(`{"id":"evt_1","object":"event"}`)
	got := webhook.Sign("whsec_test", at, body)
	want := "t=1700000000,v1=" + hex.EncodeToString(stripewebhook.ComputeSignature(at, body, "whsec_test"))
	if got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	if err := stripewebhook.ValidatePayloadIgnoringTolerance(body, got, "whsec_test"); err != nil {
		t.Fatal(err)
	}
}

func TestSchedule(t *testing.T) {
	if got := webhook.DefaultSchedule.Total(); got < 70*time.Hour || got > 72*time.Hour {
		t.Fatalf("default schedule spans %s, want about three days", got)
	}
	for i := 1; i < len(webhook.DefaultSchedule); i++ {
		if webhook.DefaultSchedule[i] < webhook.DefaultSchedule[i-1] {
			t.Fatalf("default schedule shrinks at %d: %s", i, webhook.DefaultSchedule)
		}
	}
	s, err := webhook.ParseSchedule(webhook.DefaultSchedule.String())
	if err != nil || s.String() != webhook.DefaultSchedule.String() {
		t.Fatalf("round trip: %v %v", s, err)
	}
	s, err = webhook.ParseSchedule(" 1s, 2s ,500ms")
	if err != nil || len(s) != 3 || s[2] != 500*time.Millisecond {
		t.Fatalf("parse: %v %v", s, err)
	}
	if d, ok := s.Next(1); !ok || d != time.Second {
		t.Fatalf("Next(1) = %v %v", d, ok)
	}
	if _, ok := s.Next(4); ok {
		t.Fatal("a fourth retry after three waits")
	}
	if s, err := webhook.ParseSchedule("none"); err != nil || len(s) != 0 || s == nil {
		t.Fatalf("none: %v %v", s, err)
	}
	for _, bad := range []string{"1s,x", "-1s", "0s", "1s,,2s"} {
		if _, err := webhook.ParseSchedule(bad); err == nil || !strings.Contains(err.Error(), "retry schedule") {
			t.Fatalf("%q: %v", bad, err)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for _, ok := range []string{"https://example.com/h", "http://localhost:3000/h", "http://api.localhost/h",
		"http://127.0.0.1:4242/h", "http://127.1.2.3/h", "http://[::1]:80/h"} {
		if err := webhook.CheckURL(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://example.com/h", "http://192.168.1.5/h", "ws://localhost/h", "example.com",
		"https://", "http://localhost.example.com/h", "file:///etc/passwd", "https://a:b@example.com/"} {
		if err := webhook.CheckURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
