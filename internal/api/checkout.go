package api

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/payd/payd/internal/checkout"
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/store"
)

// checkoutRoutes registers Checkout Sessions (secret key only) and their
// hosted page.
func (s *Server) checkoutRoutes() {
	s.handle("POST /v1/checkout/sessions", secretOnly, s.createSession)
	s.handle("GET /v1/checkout/sessions", secretOnly, s.listSessions)
	s.handle("GET /v1/checkout/sessions/{session}", secretOnly, s.retrieveSession)
	s.handle("POST /v1/checkout/sessions/{session}", secretOnly, s.updateSession)
	s.handle("POST /v1/checkout/sessions/{session}/expire", secretOnly, s.expireSession)
	s.handle("GET /v1/checkout/sessions/{session}/line_items", secretOnly, s.listSessionItems)
	s.checkoutPageRoutes()
}

// checkoutPageURL is a session's hosted page.
func checkoutPageURL(ctx context.Context, sessionID string) string {
	base, _ := ctx.Value(baseURLKey{}).(string)
	return base + "/_payd/checkout/" + sessionID
}

// checkoutReturnURL is where the authorization page sends the customer
// back to the session's page.
func checkoutReturnURL(ctx context.Context, sessionID string) string {
	return checkoutPageURL(ctx, sessionID) + "/return"
}

func (s *Server) createSession(c *call) (result, error) {
	data, err := s.checkout.Create(c.ctx, c.tx, c.account, c.params)
	if err != nil {
		return result{}, err
	}
	return s.sessionResult(c, data)
}

func (s *Server) retrieveSession(c *call) (result, error) {
	data, err := checkout.Get(c.ctx, c.tx, c.account, c.path("session"))
	if err != nil {
		return result{}, err
	}
	return s.sessionResult(c, data)
}

// updateSession changes what Stripe lets an integration change after
// creation; payd's sessions have metadata only (shipping options and
// line item updates need features payd lacks, and the schema refuses the
// rest).
func (s *Server) updateSession(c *call) (result, error) {
	for _, name := range []string{"collected_information", "line_items", "shipping_options"} {
		if c.params.Has(name) {
			return result{}, errs.Invalid("", name, "Updating %s is not supported by payd.", name)
		}
	}
	data, err := s.checkout.Update(c.ctx, c.tx, c.account, c.path("session"), c.params)
	if err != nil {
		return result{}, err
	}
	return s.sessionResult(c, data)
}

func (s *Server) expireSession(c *call) (result, error) {
	data, err := s.checkout.Expire(c.ctx, c.tx, c.account, c.path("session"))
	if err != nil {
		return result{}, err
	}
	return s.sessionResult(c, data)
}

// sessionResult adds line_items when the request expands them: Stripe
// leaves them out of the session unless asked.
func (s *Server) sessionResult(c *call, data []byte) (result, error) {
	if !slices.ContainsFunc(c.expand, func(p string) bool { return p == "line_items" || strings.HasPrefix(p, "line_items.") }) {
		return result{body: data}, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return result{}, err
	}
	id := ""
	json.Unmarshal(obj["id"], &id)
	items, err := checkout.Items(c.ctx, c.tx, c.account, id)
	if err != nil {
		return result{}, err
	}
	url := "/v1/checkout/sessions/" + id + "/line_items"
	obj["line_items"] = itemsList(url, items, false)
	body, err := json.Marshal(obj)
	return result{body: body}, err
}

// itemsList renders line items as a list object.
func itemsList(url string, items []checkout.Item, hasMore bool) []byte {
	datas := make([][]byte, len(items))
	for i := range items {
		datas[i], _ = json.Marshal(&items[i])
	}
	return listBody(url, hasMore, datas)
}

func (s *Server) listSessionItems(c *call) (result, error) {
	id := c.path("session")
	items, err := checkout.Items(c.ctx, c.tx, c.account, id)
	if err != nil {
		return result{}, err
	}
	page, hasMore, err := pageItems(c, items)
	if err != nil {
		return result{}, err
	}
	return result{body: itemsList("/v1/checkout/sessions/"+id+"/line_items", page, hasMore), list: true}, nil
}

// pageItems pages a short, ordered list held in memory (line items) with
// Stripe's limit, starting_after and ending_before.
func pageItems(c *call, items []checkout.Item) ([]checkout.Item, bool, error) {
	limit := 10
	if n := c.params.Int("limit"); n != nil {
		if *n < 1 || *n > 100 {
			return nil, false, errs.Invalid("", "limit", "This value must be between 1 and 100.")
		}
		limit = int(*n)
	}
	find := func(name string) (int, error) {
		id := c.params.Str(name)
		i := slices.IndexFunc(items, func(it checkout.Item) bool { return it.ID == id })
		if i < 0 {
			return 0, errs.Invalid("resource_missing", name, "No such line item: '%s'", id)
		}
		return i, nil
	}
	switch {
	case c.params.Has("starting_after"):
		i, err := find("starting_after")
		if err != nil {
			return nil, false, err
		}
		items = items[i+1:]
	case c.params.Has("ending_before"):
		i, err := find("ending_before")
		if err != nil {
			return nil, false, err
		}
		items = items[:i]
		if len(items) > limit {
			return items[len(items)-limit:], true, nil
		}
		return items, false, nil
	}
	if len(items) > limit {
		return items[:limit], true, nil
	}
	return items, false, nil
}

func (s *Server) listSessions(c *call) (result, error) {
	q, err := listQuery(c)
	if err != nil {
		return result{}, err
	}
	for _, name := range []string{"customer", "payment_intent", "payment_link", "status"} {
		filterString(&q, c.params, name, name)
	}
	for _, name := range []string{"customer_details", "subscription", "customer_account"} {
		if c.params.Has(name) {
			return result{}, errs.Invalid("", name, "Filtering Checkout Sessions by %s is not supported by payd.", name)
		}
	}
	return list(c, checkout.Table, "checkout.session", "/v1/checkout/sessions", q)
}

// ExpireDueSessions expires the open sessions whose expires_at has
// passed, a page at a time; any number of nodes may run it at once.
func (s *Server) ExpireDueSessions(ctx context.Context) (int, error) {
	return s.sweep(ctx, checkout.Table, "expire_at", func(tx store.Tx, ref store.Ref) error {
		return s.checkout.ExpireDue(ctx, tx, ref.Account, ref.ID)
	})
}
