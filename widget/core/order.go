package core

import (
	"strings"
	"unicode"
)

// orderCues are phrases that make a question about one specific order,
// parcel or account: such questions need live data and are never answered
// in the browser.
var orderCues = []string{
	// en
	"my order", "my orders", "my package", "my parcel", "my delivery", "my refund", "my account",
	"order #", "order no", "order number", "tracking number", "tracking no", "where is my", "where's my",
	"my shipment", "i ordered", "i bought", "i paid", "my payment",
	// de
	"meine bestellung", "meiner bestellung", "mein paket", "bestellnummer", "sendungsnummer", "wo ist mein",
	// fr
	"ma commande", "mon colis", "numéro de commande", "où est mon", "mon remboursement",
	// es
	"mi pedido", "mi orden", "mi paquete", "número de pedido", "dónde está mi", "donde esta mi", "mi reembolso",
	// zh
	"我的订单", "我的包裹", "我的快递", "订单号", "运单号", "快递单号", "我买的", "我下的单", "我的退款", "到哪了", "到哪里了", "什么时候到",
	// ja
	"注文番号", "私の注文", "私の荷物", "追跡番号",
}

// OrderSpecific reports whether text asks about one specific order, parcel or
// payment: it names one ("order #12345", a long number, "A-12345678") or
// talks about "my order" in one of the supported languages.
func OrderSpecific(text string) bool {
	lower := strings.ToLower(text)
	for _, c := range orderCues {
		if strings.Contains(lower, c) {
			return true
		}
	}
	// A token with at least 6 digits (order or tracking number), possibly
	// mixed with letters and dashes. Phone numbers count too: they also
	// identify one shopper.
	digits := 0
	for _, r := range lower {
		switch {
		case unicode.IsDigit(r):
			digits++
			if digits >= 6 {
				return true
			}
		case r == '-' || unicode.IsLetter(r) && r < 0x80:
			// stays inside the token
		default:
			digits = 0
		}
	}
	return false
}
