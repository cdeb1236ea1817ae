package api

import (
	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/pmconfig"
	"github.com/payd/payd/internal/store"
)

// paymentMethodConfigRoutes registers PaymentMethodConfigurations, secret
// key only. Stripe has no delete for them: a configuration is deactivated.
func (s *Server) paymentMethodConfigRoutes() {
	h := paymentMethodConfigHandlers{configs: &pmconfig.Service{Now: s.now}}
	s.handle("POST /v1/payment_method_configurations", secretOnly, h.create)
	s.handle("GET /v1/payment_method_configurations", secretOnly, h.list)
	s.handle("GET /v1/payment_method_configurations/{configuration}", secretOnly, h.retrieve)
	s.handle("POST /v1/payment_method_configurations/{configuration}", secretOnly, h.update)
}

// paymentMethodConfigHandlers holds what the PaymentMethodConfigurations
// endpoints need.
type paymentMethodConfigHandlers struct {
	configs *pmconfig.Service
}

func (h paymentMethodConfigHandlers) create(c *call) (result, error) {
	data, err := h.configs.Create(c.ctx, c.tx, c.account, c.params)
	return result{body: data}, err
}

func (h paymentMethodConfigHandlers) retrieve(c *call) (result, error) {
	data, err := pmconfig.Get(c.ctx, c.tx, c.account, c.path("configuration"))
	return result{body: data}, err
}

func (h paymentMethodConfigHandlers) update(c *call) (result, error) {
	data, err := h.configs.Update(c.ctx, c.tx, c.account, c.path("configuration"), c.params)
	return result{body: data}, err
}

// list pages in memory: the default may exist only in code, and active
// has no column to filter on (see pmconfig.All). Cursors, limits and
// has_more mean what they mean for every other list.
func (h paymentMethodConfigHandlers) list(c *call) (result, error) {
	q, err := listQuery(c)
	if err != nil {
		return result{}, err
	}
	all, err := pmconfig.All(c.ctx, c.tx, c.account)
	if err != nil {
		return result{}, err
	}
	active := c.params.Bool("active")
	// payd has no Connect applications, so no configuration belongs to
	// one: naming an application matches nothing, and "" (configurations
	// without one) matches everything.
	application := c.params.Str("application")
	match := func(e pmconfig.Entry) bool {
		return application == "" && (active == nil || e.Active == *active)
	}
	datas, hasMore, err := pageEntries(all, q, match)
	if err != nil {
		return result{}, err
	}
	return result{body: listBody("/v1/payment_method_configurations", hasMore, datas), list: true}, nil
}

// pageEntries cuts one page from entries (newest first) as the store cuts
// one from rows: after or before the cursor, which must be one of the
// account's configurations whether or not it matches, keeping what
// matches.
func pageEntries(entries []pmconfig.Entry, q store.ListQuery, match func(pmconfig.Entry) bool) ([][]byte, bool, error) {
	index := func(id string) int {
		for i, e := range entries {
			if e.ID == id {
				return i
			}
		}
		return -1
	}
	from, to := 0, len(entries)
	if q.After != "" {
		i := index(q.After)
		if i < 0 {
			return nil, false, errs.NotFound("payment_method_configuration", q.After, "starting_after")
		}
		from = i + 1
	}
	if q.Before != "" {
		i := index(q.Before)
		if i < 0 {
			return nil, false, errs.NotFound("payment_method_configuration", q.Before, "ending_before")
		}
		to = i
	}
	var picked [][]byte
	for _, e := range entries[from:to] {
		if match(e) {
			picked = append(picked, e.Data)
		}
	}
	hasMore := len(picked) > q.Limit
	switch {
	case !hasMore:
	case q.Before != "":
		// The page just before the cursor is the newest end of what
		// precedes it; has_more says there is more further on.
		picked = picked[len(picked)-q.Limit:]
	default:
		picked = picked[:q.Limit]
	}
	return picked, hasMore, nil
}
