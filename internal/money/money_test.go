package money

import "testing"

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		amount int64
		cur    string
		want   string
	}{
		{2000, "usd", "$20.00"},
		{5, "eur", "€0.05"},
		{123456, "gbp", "£1234.56"},
		{500, "jpy", "¥500"},
		{1050, "sek", "10.50 SEK"},
		{-250, "usd", "-$2.50"},
		{7, "krw", "7 KRW"},
	} {
		if got := Format(c.amount, c.cur); got != c.want {
			t.Errorf("Format(%d, %s) = %q, want %q", c.amount, c.cur, got, c.want)
		}
	}
}

func TestMajor(t *testing.T) {
	for _, c := range []struct {
		amount int64
		cur    string
		want   string
	}{
		{50, "usd", "0.50"},
		{99999999, "usd", "999999.99"},
		{3000, "eur", "30.00"},
		{50, "jpy", "50"},
		{0, "usd", "0.00"},
	} {
		if got := Major(c.amount, c.cur); got != c.want {
			t.Errorf("Major(%d, %s) = %q, want %q", c.amount, c.cur, got, c.want)
		}
	}
}
