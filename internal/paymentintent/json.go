package paymentintent

import "github.com/payd/payd/internal/jsonw"

// marshal renders the intent as encoding/json would (see jsonw).
func marshal(pi *PaymentIntent) ([]byte, error) {
	var w jsonw.Object
	w.Begin(make([]byte, 0, 1536))
	w.String("id", pi.ID)
	w.String("object", pi.Object)
	w.Int("amount", pi.Amount)
	w.Int("amount_capturable", pi.AmountCapturable)
	w.Value("amount_details", pi.AmountDetails)
	w.Int("amount_received", pi.AmountReceived)
	w.OptString("application", pi.Application)
	w.OptInt("application_fee_amount", pi.ApplicationFeeAmount)
	if a := pi.AutomaticPaymentMethods; a != nil {
		w.Open("automatic_payment_methods")
		if a.AllowRedirects != "" {
			w.String("allow_redirects", a.AllowRedirects)
		}
		w.Bool("enabled", a.Enabled)
		w.Close()
	} else {
		w.Null("automatic_payment_methods")
	}
	w.OptInt("canceled_at", pi.CanceledAt)
	w.OptString("cancellation_reason", pi.CancellationReason)
	w.String("capture_method", pi.CaptureMethod)
	w.String("client_secret", pi.ClientSecret)
	w.String("confirmation_method", pi.ConfirmationMethod)
	w.Int("created", pi.Created)
	w.String("currency", pi.Currency)
	w.OptString("customer", pi.Customer)
	w.OptString("description", pi.Description)
	w.Strings("excluded_payment_method_types", pi.ExcludedPaymentMethodTypes)
	w.Value("last_payment_error", pi.LastPaymentError)
	w.OptString("latest_charge", pi.LatestCharge)
	w.Bool("livemode", pi.Livemode)
	w.StringMap("metadata", pi.Metadata)
	w.Value("next_action", pi.NextAction)
	w.OptString("on_behalf_of", pi.OnBehalfOf)
	w.OptString("payment_method", pi.PaymentMethod)
	w.Value("payment_method_configuration_details", pi.PaymentMethodConfigurationDetails)
	w.Value("payment_method_options", pi.PaymentMethodOptions)
	w.Strings("payment_method_types", pi.PaymentMethodTypes)
	w.Value("processing", pi.Processing)
	w.OptString("receipt_email", pi.ReceiptEmail)
	w.OptString("review", pi.Review)
	w.OptString("setup_future_usage", pi.SetupFutureUsage)
	w.Raw("shipping", pi.Shipping)
	w.OptString("statement_descriptor", pi.StatementDescriptor)
	w.OptString("statement_descriptor_suffix", pi.StatementDescriptorSuffix)
	w.String("status", string(pi.Status))
	w.Value("transfer_data", pi.TransferData)
	w.OptString("transfer_group", pi.TransferGroup)
	return w.End()
}
