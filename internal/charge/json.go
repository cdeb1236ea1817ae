package charge

import "github.com/payd/payd/internal/jsonw"

// marshal renders the charge as encoding/json would (see jsonw).
func marshal(c *Charge) ([]byte, error) {
	var w jsonw.Object
	w.Begin(make([]byte, 0, 2304))
	w.String("id", c.ID)
	w.String("object", c.Object)
	w.Int("amount", c.Amount)
	w.Int("amount_captured", c.AmountCaptured)
	w.Int("amount_refunded", c.AmountRefunded)
	w.OptString("application", c.Application)
	w.OptString("application_fee", c.ApplicationFee)
	w.OptInt("application_fee_amount", c.ApplicationFeeAmount)
	w.OptString("balance_transaction", c.BalanceTransaction)
	w.Raw("billing_details", c.BillingDetails)
	w.OptString("calculated_statement_descriptor", c.CalculatedStatementDescriptor)
	w.Bool("captured", c.Captured)
	w.Int("created", c.Created)
	w.String("currency", c.Currency)
	w.OptString("customer", c.Customer)
	w.OptString("description", c.Description)
	w.Bool("disputed", c.Disputed)
	w.OptString("failure_balance_transaction", c.FailureBalanceTransaction)
	w.OptString("failure_code", c.FailureCode)
	w.OptString("failure_message", c.FailureMessage)
	w.StringMap("fraud_details", c.FraudDetails)
	w.Bool("livemode", c.Livemode)
	w.StringMap("metadata", c.Metadata)
	w.OptString("on_behalf_of", c.OnBehalfOf)
	if o := c.Outcome; o != nil {
		w.Open("outcome")
		w.OptString("advice_code", o.AdviceCode)
		w.OptString("network_advice_code", o.NetworkAdviceCode)
		w.OptString("network_decline_code", o.NetworkDeclineCode)
		w.OptString("network_status", o.NetworkStatus)
		w.OptString("reason", o.Reason)
		if o.RiskLevel != "" {
			w.String("risk_level", o.RiskLevel)
		}
		if o.RiskScore != 0 {
			w.Int("risk_score", o.RiskScore)
		}
		w.OptString("seller_message", o.SellerMessage)
		w.String("type", o.Type)
		w.Close()
	} else {
		w.Null("outcome")
	}
	w.Bool("paid", c.Paid)
	w.OptString("payment_intent", c.PaymentIntent)
	w.OptString("payment_method", c.PaymentMethod)
	w.Value("payment_method_details", c.PaymentMethodDetails)
	w.OptString("receipt_email", c.ReceiptEmail)
	w.OptString("receipt_number", c.ReceiptNumber)
	w.OptString("receipt_url", c.ReceiptURL)
	w.Bool("refunded", c.Refunded)
	w.OptString("review", c.Review)
	w.Raw("shipping", c.Shipping)
	w.OptString("source_transfer", c.SourceTransfer)
	w.OptString("statement_descriptor", c.StatementDescriptor)
	w.OptString("statement_descriptor_suffix", c.StatementDescriptorSuffix)
	w.String("status", c.Status)
	w.Value("transfer_data", c.TransferData)
	w.OptString("transfer_group", c.TransferGroup)
	return w.End()
}
