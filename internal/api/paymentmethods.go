package api

import (
	"encoding/json"
	"errors"

	"github.com/payd/payd/internal/errs"
	"github.com/payd/payd/internal/paymentmethod"
	"github.com/payd/payd/internal/store"
)

// paymentMethodRoutes registers the PaymentMethods API. Creating takes a
// publishable key too, because Stripe.js creates PaymentMethods in the
// browser; everything that reads or changes saved methods needs the secret
// key.
func (s *Server) paymentMethodRoutes() {
	s.expanders[paymentmethod.Prefix+"_"] = s.paymentMethods.Retrieve
	s.handle("POST /v1/payment_methods", publishableToo, s.createPaymentMethod)
	s.handle("GET /v1/payment_methods", secretOnly, s.listPaymentMethods)
	s.handle("GET /v1/payment_methods/{payment_method}", secretOnly, s.retrievePaymentMethod)
	s.handle("POST /v1/payment_methods/{payment_method}", secretOnly, s.updatePaymentMethod)
	s.handle("POST /v1/payment_methods/{payment_method}/attach", secretOnly, s.attachPaymentMethod)
	s.handle("POST /v1/payment_methods/{payment_method}/detach", secretOnly, s.detachPaymentMethod)
	s.handle("GET /v1/customers/{customer}/payment_methods/{payment_method}", secretOnly, s.retrieveCustomerPaymentMethod)
}

func methodResult(pm *paymentmethod.PaymentMethod, err error) (result, error) {
	if err != nil {
		return result{}, err
	}
	data, err := json.Marshal(pm)
	return result{body: data}, err
}

func (s *Server) createPaymentMethod(c *call) (result, error) {
	return methodResult(s.paymentMethods.Create(c.ctx, c.tx, c.account, c.params, ""))
}

func (s *Server) retrievePaymentMethod(c *call) (result, error) {
	return methodResult(s.paymentMethods.Get(c.ctx, c.tx, c.account, c.path("payment_method"), "payment_method"))
}

func (s *Server) updatePaymentMethod(c *call) (result, error) {
	_, data, err := s.paymentMethods.Update(c.ctx, c.tx, c.account, c.path("payment_method"), c.params)
	return result{body: data}, err
}

func (s *Server) attachPaymentMethod(c *call) (result, error) {
	if c.params.Has("customer_account") {
		return result{}, errs.Invalid("", "customer_account", "Accounts v2 customers (customer_account) are not supported by payd; pass customer.")
	}
	cus := c.params.Str("customer")
	if cus == "" {
		return result{}, errs.Missing("customer")
	}
	return methodResult(s.paymentMethods.Attach(c.ctx, c.tx, c.account, c.path("payment_method"), cus))
}

func (s *Server) detachPaymentMethod(c *call) (result, error) {
	return methodResult(s.paymentMethods.Detach(c.ctx, c.tx, c.account, c.path("payment_method")))
}

// retrieveCustomerPaymentMethod answers only for a method saved to that
// customer; any other is as missing as an unknown id.
func (s *Server) retrieveCustomerPaymentMethod(c *call) (result, error) {
	cus := c.path("customer")
	if _, err := s.customers.Live(c.ctx, c.tx, c.account, cus, "customer"); err != nil {
		return result{}, err
	}
	id := c.path("payment_method")
	pm, err := s.paymentMethods.Get(c.ctx, c.tx, c.account, id, "payment_method")
	if err != nil {
		return result{}, err
	}
	if pm.Customer == nil || *pm.Customer != cus {
		return result{}, errs.NotFound("PaymentMethod", id, "payment_method")
	}
	return methodResult(pm, nil)
}

// listPaymentMethods lists the account's methods, optionally one
// customer's.
func (s *Server) listPaymentMethods(c *call) (result, error) {
	q, err := listQuery(c)
	if err != nil {
		return result{}, err
	}
	if c.params.Has("customer_account") {
		return result{}, errs.Invalid("", "customer_account", "Accounts v2 customers (customer_account) are not supported by payd; pass customer.")
	}
	if cus := c.params.Str("customer"); cus != "" {
		if _, err := s.customers.Live(c.ctx, c.tx, c.account, cus, "customer"); err != nil {
			return result{}, err
		}
		q.Filters = append(q.Filters, store.Filter{Col: "customer", Values: []any{cus}})
	}
	return s.listMethods(c, q, "/v1/payment_methods")
}

// listCustomerMethods lists the methods saved to a live customer.
func (s *Server) listCustomerMethods(c *call) (result, error) {
	cus := c.path("customer")
	if _, err := s.customers.Live(c.ctx, c.tx, c.account, cus, "customer"); err != nil {
		return result{}, err
	}
	q, err := listQuery(c)
	if err != nil {
		return result{}, err
	}
	q.Filters = append(q.Filters, store.Filter{Col: "customer", Values: []any{cus}})
	return s.listMethods(c, q, "/v1/customers/"+cus+"/payment_methods")
}

// listMethods applies the type and allow_redisplay filters shared by both
// lists. type is a column; allow_redisplay is not (it changes on update),
// so pages are read and filtered until enough methods match.
func (s *Server) listMethods(c *call, q store.ListQuery, url string) (result, error) {
	filterString(&q, c.params, "type", "type")
	redisplay := c.params.Str("allow_redisplay")
	if redisplay == "" {
		return list(c, paymentmethod.Table, "PaymentMethod", url, q)
	}
	records, hasMore, err := listMatching(c, paymentmethod.Table, q, func(r store.Record) (bool, error) {
		var v struct {
			AllowRedisplay string `json:"allow_redisplay"`
		}
		err := json.Unmarshal(r.Data, &v)
		return v.AllowRedisplay == redisplay, err
	})
	if errors.Is(err, store.ErrCursorNotFound) {
		cursor, p := q.After, "starting_after"
		if q.Before != "" {
			cursor, p = q.Before, "ending_before"
		}
		return result{}, errs.NotFound("PaymentMethod", cursor, p)
	}
	if err != nil {
		return result{}, err
	}
	datas := make([][]byte, len(records))
	for i, r := range records {
		datas[i] = r.Data
	}
	return result{body: listBody(url, hasMore, datas), list: true}, nil
}

// listMatching pages through q's rows in the direction the cursor asks,
// keeping those keep accepts, until it has q.Limit of them and knows
// whether another exists. The result is newest first, like any page.
func listMatching(c *call, table string, q store.ListQuery, keep func(store.Record) (bool, error)) ([]store.Record, bool, error) {
	backward := q.Before != ""
	scan := q
	scan.Limit = maxLimit
	var kept []store.Record
	for {
		page, err := c.tx.List(c.ctx, table, scan)
		if err != nil {
			return nil, false, err
		}
		recs := page.Records
		for i := range recs {
			r := recs[i]
			if backward {
				// A backward page is newest first too; walk it from the
				// cursor outward.
				r = recs[len(recs)-1-i]
			}
			ok, err := keep(r)
			if err != nil {
				return nil, false, err
			}
			if !ok {
				continue
			}
			if len(kept) == q.Limit {
				return order(kept, backward), true, nil
			}
			kept = append(kept, r)
		}
		if !page.HasMore || len(recs) == 0 {
			return order(kept, backward), false, nil
		}
		if backward {
			scan.Before = recs[0].ID
		} else {
			scan.After = recs[len(recs)-1].ID
		}
	}
}

// order returns rows gathered walking away from the cursor newest first.
func order(recs []store.Record, backward bool) []store.Record {
	if backward {
		for i, j := 0, len(recs)-1; i < j; i, j = i+1, j-1 {
			recs[i], recs[j] = recs[j], recs[i]
		}
	}
	return recs
}
