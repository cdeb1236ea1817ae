package charge

import "github.com/payd/payd/internal/jsonw"

// marshal renders the charge as encoding/json would (see jsonw).
func marshal(c *Charge) ([]byte, error) {
	var err error
	b := make([]byte, 0, 2304)
	b = jsonw.String(b, `{"id":`, c.ID)
	b = jsonw.String(b, `,"object":`, c.Object)
	b = jsonw.Int(b, `,"amount":`, c.Amount)
	b = jsonw.Int(b, `,"amount_captured":`, c.AmountCaptured)
	b = jsonw.Int(b, `,"amount_refunded":`, c.AmountRefunded)
	b = jsonw.OptString(b, `,"application":`, c.Application)
	b = jsonw.OptString(b, `,"application_fee":`, c.ApplicationFee)
	b = jsonw.OptInt(b, `,"application_fee_amount":`, c.ApplicationFeeAmount)
	b = jsonw.OptString(b, `,"balance_transaction":`, c.BalanceTransaction)
	b = jsonw.Raw(b, `,"billing_details":`, c.BillingDetails)
	b = jsonw.OptString(b, `,"calculated_statement_descriptor":`, c.CalculatedStatementDescriptor)
	b = jsonw.Bool(b, `,"captured":`, c.Captured)
	b = jsonw.Int(b, `,"created":`, c.Created)
	b = jsonw.String(b, `,"currency":`, c.Currency)
	b = jsonw.OptString(b, `,"customer":`, c.Customer)
	b = jsonw.OptString(b, `,"description":`, c.Description)
	b = jsonw.Bool(b, `,"disputed":`, c.Disputed)
	b = jsonw.OptString(b, `,"failure_balance_transaction":`, c.FailureBalanceTransaction)
	b = jsonw.OptString(b, `,"failure_code":`, c.FailureCode)
	b = jsonw.OptString(b, `,"failure_message":`, c.FailureMessage)
	b = jsonw.StringMap(b, `,"fraud_details":`, c.FraudDetails)
	b = jsonw.Bool(b, `,"livemode":`, c.Livemode)
	b = jsonw.StringMap(b, `,"metadata":`, c.Metadata)
	b = jsonw.OptString(b, `,"on_behalf_of":`, c.OnBehalfOf)
	if o := c.Outcome; o != nil {
		b = jsonw.OptString(b, `,"outcome":{"advice_code":`, o.AdviceCode)
		b = jsonw.OptString(b, `,"network_advice_code":`, o.NetworkAdviceCode)
		b = jsonw.OptString(b, `,"network_decline_code":`, o.NetworkDeclineCode)
		b = jsonw.OptString(b, `,"network_status":`, o.NetworkStatus)
		b = jsonw.OptString(b, `,"reason":`, o.Reason)
		if o.RiskLevel != "" { // omitempty
			b = jsonw.String(b, `,"risk_level":`, o.RiskLevel)
		}
		if o.RiskScore != 0 { // omitempty
			b = jsonw.Int(b, `,"risk_score":`, o.RiskScore)
		}
		b = jsonw.OptString(b, `,"seller_message":`, o.SellerMessage)
		b = jsonw.String(b, `,"type":`, o.Type)
		b = append(b, '}')
	} else {
		b = append(b, `,"outcome":null`...)
	}
	b = jsonw.Bool(b, `,"paid":`, c.Paid)
	b = jsonw.OptString(b, `,"payment_intent":`, c.PaymentIntent)
	b = jsonw.OptString(b, `,"payment_method":`, c.PaymentMethod)
	b = jsonw.Value(b, `,"payment_method_details":`, c.PaymentMethodDetails, &err)
	b = jsonw.OptString(b, `,"receipt_email":`, c.ReceiptEmail)
	b = jsonw.OptString(b, `,"receipt_number":`, c.ReceiptNumber)
	b = jsonw.OptString(b, `,"receipt_url":`, c.ReceiptURL)
	b = jsonw.Bool(b, `,"refunded":`, c.Refunded)
	b = jsonw.OptString(b, `,"review":`, c.Review)
	b = jsonw.Raw(b, `,"shipping":`, c.Shipping)
	b = jsonw.OptString(b, `,"source_transfer":`, c.SourceTransfer)
	b = jsonw.OptString(b, `,"statement_descriptor":`, c.StatementDescriptor)
	b = jsonw.OptString(b, `,"statement_descriptor_suffix":`, c.StatementDescriptorSuffix)
	b = jsonw.String(b, `,"status":`, c.Status)
	b = jsonw.Value(b, `,"transfer_data":`, c.TransferData, &err)
	b = jsonw.OptString(b, `,"transfer_group":`, c.TransferGroup)
	return append(b, '}'), err
}
