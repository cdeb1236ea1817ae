package api

import (
	"github.com/payd/payd/internal/customer"
	"github.com/payd/payd/internal/paymentmethod"
	"github.com/payd/payd/internal/store"
)

func (s *Server) createCustomer(c *call) (result, error) {
	_, data, err := s.customers.Create(c.ctx, c.tx, c.account, c.params)
	return result{body: data}, err
}

func (s *Server) retrieveCustomer(c *call) (result, error) {
	data, err := s.customers.Retrieve(c.ctx, c.tx, c.account, c.path("customer"))
	return result{body: data}, err
}

func (s *Server) updateCustomer(c *call) (result, error) {
	_, data, err := s.customers.Update(c.ctx, c.tx, c.account, c.path("customer"), c.params)
	return result{body: data}, err
}

// deleteCustomer deletes the customer and, as Stripe does, detaches its
// saved payment methods in the same transaction.
func (s *Server) deleteCustomer(c *call) (result, error) {
	id := c.path("customer")
	if _, err := s.customers.Live(c.ctx, c.tx, c.account, id, "id"); err != nil {
		return result{}, err
	}
	for {
		page, err := c.tx.List(c.ctx, paymentmethod.Table, store.ListQuery{Account: c.account, Limit: 100,
			Filters: []store.Filter{{Col: "customer", Values: []any{id}}}})
		if err != nil {
			return result{}, err
		}
		for _, r := range page.Records {
			if _, err := s.paymentMethods.Detach(c.ctx, c.tx, c.account, r.ID); err != nil {
				return result{}, err
			}
		}
		if !page.HasMore {
			break
		}
	}
	data, err := s.customers.Delete(c.ctx, c.tx, c.account, id)
	return result{body: data}, err
}

func (s *Server) listCustomers(c *call) (result, error) {
	q, err := listQuery(c)
	if err != nil {
		return result{}, err
	}
	filterString(&q, c.params, "email", "email")
	return list(c, customer.Table, "customer", "/v1/customers", q)
}

// listCustomerPaymentMethods lists the PaymentMethods saved to a live
// customer (see listCustomerMethods).
func (s *Server) listCustomerPaymentMethods(c *call) (result, error) {
	return s.listCustomerMethods(c)
}
