package form

import "testing"

// customerBody is what stripe-go sends for a typical customer create.
const customerBody = "address[city]=San+Francisco&address[country]=US&address[line1]=510+Townsend+St&address[postal_code]=94103&address[state]=CA" +
	"&description=Customer+for+jenny.rosen%40example.com&email=jenny.rosen%40example.com&expand[0]=tax" +
	"&metadata[order_id]=6735&metadata[plan]=gold&name=Jenny+Rosen&phone=%2B15555550123&preferred_locales[0]=en"

func BenchmarkDecodeRequest(b *testing.B) {
	if _, err := DecodeRequest(customerBody, "POST /v1/customers"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(customerBody)))
	for b.Loop() {
		if _, err := DecodeRequest(customerBody, "POST /v1/customers"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeRequestPaymentIntent(b *testing.B) {
	const body = "amount=2000&automatic_payment_methods[enabled]=true&currency=usd&customer=cus_123&description=Order+6735" +
		"&metadata[order_id]=6735&payment_method=pm_card_visa&payment_method_options[card][request_three_d_secure]=automatic" +
		"&shipping[address][line1]=510+Townsend+St&shipping[address][country]=US&shipping[name]=Jenny+Rosen"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeRequest(body, "POST /v1/payment_intents"); err != nil {
			b.Fatal(err)
		}
	}
}
