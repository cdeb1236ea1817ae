package api_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stripe/stripe-go/v85"

	"github.com/payd/payd/internal/testutil/paydtest"
)

// TestList_ConcurrentPagesStayWhole: lists are rendered into pooled
// buffers; many of them at once, for two accounts whose pages differ, each
// get their own page whole, never one another's bytes.
func TestList_ConcurrentPagesStayWhole(t *testing.T) {
	srv := paydtest.New(t, paydtest.Engines[0])
	clients := []*stripe.Client{srv.Client(0), srv.Client(1)}
	// Descriptions that never repeat themselves, so that bytes of a page
	// shifted or overwritten by another cannot pass for the right ones.
	description := func(email string) string {
		var b strings.Builder
		for j := 0; b.Len() < 2000; j++ {
			fmt.Fprintf(&b, "%s:%d ", email, j)
		}
		return b.String()
	}
	for a, sc := range clients {
		for i := range 12 {
			email := fmt.Sprintf("a%d-%d@example.com", a, i)
			_, err := sc.V1Customers.Create(ctx, &stripe.CustomerCreateParams{
				Email: stripe.String(email), Description: stripe.String(description(email))})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			a := g % 2
			for range 25 {
				page := clients[a].V1Customers.List(ctx, &stripe.CustomerListParams{ListParams: stripe.ListParams{Limit: stripe.Int64(10)}})
				n := 0
				for c, err := range page.All(ctx) {
					if err != nil {
						errc <- err
						return
					}
					if !strings.HasPrefix(c.Email, fmt.Sprintf("a%d-", a)) || c.Description != description(c.Email) {
						errc <- fmt.Errorf("account %d listed %s (%.20s…)", a, c.Email, c.Description)
						return
					}
					n++
				}
				if n != 12 {
					errc <- fmt.Errorf("account %d listed %d customers, want 12", a, n)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
}
