// Package core is the browser-side brain of the Kefu widget: language
// detection, intent matching against the merchant's FAQ cache, answer
// selection with a confidence threshold, an anger cue score and an optional
// PII pre-mask. It is pure Go with no syscall/js so it is tested natively;
// widget/wasm binds it to the page.
//
// # Size discipline
//
// The package is compiled to GOOS=js WebAssembly and shipped to every
// shopper, so it imports only errors, math, strings, unicode, unicode/utf8,
// sort and sync/atomic: no fmt, no encoding/json, no reflection-heavy
// packages, and not even the shared chat package (which pulls in fmt and
// time). Entry mirrors chat.FAQEntry field for field; widget/wasm converts
// the plain JS objects the loader passes. Check with
//
//	GOOS=js GOARCH=wasm go list -deps ./widget/...
//
// # How an answer is chosen
//
// Every FAQ paraphrase becomes a TF-IDF vector of character n-grams: CJK runs
// give unigrams and bigrams, other scripts give whole words plus boundary
// trigrams (so "returns" still meets "return"). A question is compared with
// every paraphrase of every entry (cosine similarity); an entry's score is its
// best paraphrase. The browser answers only when
//
//   - the text does not name a specific order (order numbers, "my order",
//     "我的订单"…): those always go to the edge, whatever the FAQ says;
//   - the best entry is marked Local (static facts such as the return
//     policy), so a question that is closest to a live-data entry (order
//     status, stock) is never answered locally;
//   - either the similarity is at least Config.MinSimilarity and beats the
//     runner-up by Config.MinMargin, or an intent model (see Classifier)
//     names the entry's intent with at least Config.MinIntent and the
//     similarity confirms it with at least Config.ConfirmSimilarity.
//
// Everything else returns no answer and the loader sends the message over
// the WebSocket, with the language and anger score computed here attached.
package core
