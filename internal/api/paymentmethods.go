package api

// paymentMethodRoutes registers the PaymentMethods API.
func (s *Server) paymentMethodRoutes() {}
