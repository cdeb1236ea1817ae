package paymentintent

import "github.com/payd/payd/internal/jsonw"

// marshal renders the intent as encoding/json would (see jsonw).
func marshal(pi *PaymentIntent) ([]byte, error) {
	var err error
	b := make([]byte, 0, 1536)
	b = jsonw.String(b, `{"id":`, pi.ID)
	b = jsonw.String(b, `,"object":`, pi.Object)
	b = jsonw.Int(b, `,"amount":`, pi.Amount)
	b = jsonw.Int(b, `,"amount_capturable":`, pi.AmountCapturable)
	b = jsonw.Value(b, `,"amount_details":`, pi.AmountDetails, &err)
	b = jsonw.Int(b, `,"amount_received":`, pi.AmountReceived)
	b = jsonw.OptString(b, `,"application":`, pi.Application)
	b = jsonw.OptInt(b, `,"application_fee_amount":`, pi.ApplicationFeeAmount)
	if a := pi.AutomaticPaymentMethods; a != nil {
		b = append(b, `,"automatic_payment_methods":{`...)
		if a.AllowRedirects != "" {
			b = jsonw.String(b, `"allow_redirects":`, a.AllowRedirects)
			b = append(b, ',')
		}
		b = jsonw.Bool(b, `"enabled":`, a.Enabled)
		b = append(b, '}')
	} else {
		b = append(b, `,"automatic_payment_methods":null`...)
	}
	b = jsonw.OptInt(b, `,"canceled_at":`, pi.CanceledAt)
	b = jsonw.OptString(b, `,"cancellation_reason":`, pi.CancellationReason)
	b = jsonw.String(b, `,"capture_method":`, pi.CaptureMethod)
	b = jsonw.String(b, `,"client_secret":`, pi.ClientSecret)
	b = jsonw.String(b, `,"confirmation_method":`, pi.ConfirmationMethod)
	b = jsonw.Int(b, `,"created":`, pi.Created)
	b = jsonw.String(b, `,"currency":`, pi.Currency)
	b = jsonw.OptString(b, `,"customer":`, pi.Customer)
	b = jsonw.OptString(b, `,"description":`, pi.Description)
	b = jsonw.Strings(b, `,"excluded_payment_method_types":`, pi.ExcludedPaymentMethodTypes)
	b = jsonw.Value(b, `,"last_payment_error":`, pi.LastPaymentError, &err)
	b = jsonw.OptString(b, `,"latest_charge":`, pi.LatestCharge)
	b = jsonw.Bool(b, `,"livemode":`, pi.Livemode)
	b = jsonw.StringMap(b, `,"metadata":`, pi.Metadata)
	b = jsonw.Value(b, `,"next_action":`, pi.NextAction, &err)
	b = jsonw.OptString(b, `,"on_behalf_of":`, pi.OnBehalfOf)
	b = jsonw.OptString(b, `,"payment_method":`, pi.PaymentMethod)
	b = jsonw.Value(b, `,"payment_method_configuration_details":`, pi.PaymentMethodConfigurationDetails, &err)
	b = jsonw.Value(b, `,"payment_method_options":`, pi.PaymentMethodOptions, &err)
	b = jsonw.Strings(b, `,"payment_method_types":`, pi.PaymentMethodTypes)
	b = jsonw.Value(b, `,"processing":`, pi.Processing, &err)
	b = jsonw.OptString(b, `,"receipt_email":`, pi.ReceiptEmail)
	b = jsonw.OptString(b, `,"review":`, pi.Review)
	b = jsonw.OptString(b, `,"setup_future_usage":`, pi.SetupFutureUsage)
	b = jsonw.Raw(b, `,"shipping":`, pi.Shipping)
	b = jsonw.OptString(b, `,"statement_descriptor":`, pi.StatementDescriptor)
	b = jsonw.OptString(b, `,"statement_descriptor_suffix":`, pi.StatementDescriptorSuffix)
	b = jsonw.String(b, `,"status":`, string(pi.Status))
	b = jsonw.Value(b, `,"transfer_data":`, pi.TransferData, &err)
	b = jsonw.OptString(b, `,"transfer_group":`, pi.TransferGroup)
	return append(b, '}'), err
}
