// Package faq ships the default FAQ pack of the Kefu demo store.
//
// The pack is the JSON form of chat.FAQPack: about thirty entries of an
// online fashion and electronics shop (returns, shipping, payment, sizes,
// warranty, points, …), each with question paraphrases and an answer in
// zh, en, de, fr, es, ja, ko, ar, ru, pt and it (some also zh-TW). Entries
// marked local are static facts the widget may answer in the browser; the
// others need live data (order, refund, stock) and go to central.
package faq

import _ "embed"

//go:embed default.json
var defaultPack []byte

// Default returns the JSON bytes of the default FAQ pack (a chat.FAQPack).
// The caller gets its own copy and may modify it.
func Default() []byte {
	return append([]byte(nil), defaultPack...)
}
