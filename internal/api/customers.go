package api

import (
	"github.com/payd/payd/internal/customer"
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

func (s *Server) deleteCustomer(c *call) (result, error) {
	data, err := s.customers.Delete(c.ctx, c.tx, c.account, c.path("customer"))
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

// listCustomerPaymentMethods answers for a live customer; payd keeps no
// PaymentMethods yet, so the list is empty but fully validated.
func (s *Server) listCustomerPaymentMethods(c *call) (result, error) {
	id := c.path("customer")
	if _, err := s.customers.Live(c.ctx, c.tx, c.account, id, "customer"); err != nil {
		return result{}, err
	}
	if _, err := listQuery(c); err != nil {
		return result{}, err
	}
	return result{body: listBody("/v1/customers/"+id+"/payment_methods", false, nil), list: true}, nil
}
