// Package core is the browser-side brain of the Kefu widget: language
// detection, intent matching against the merchant's FAQ cache, answer
// selection with a confidence threshold, an anger cue score and an optional
// PII pre-mask. It is pure Go with no syscall/js so it is tested natively;
// widget/wasm binds it to the page.
//
// # Size discipline
//
// The package is compiled to GOOS=js WebAssembly and shipped to every
// shopper, so it imports only cmp, errors, math, slices, strings, sync,
// sync/atomic, unicode and unicode/utf8: no fmt, no encoding/json, no reflection-heavy
// packages, and not even the shared chat package (which pulls in fmt and
// time). Entry mirrors chat.FAQEntry field for field; widget/wasm converts
// the plain JS objects the loader passes. Check with
//
//	GOOS=js GOARCH=wasm go list -deps ./widget/...
//
// # How an answer is chosen
//
// Two signals are combined: the intent model (a Classifier installed with
// SetModel(ModelIntent, …); the shipped models/artifacts/intent.kmod
// predicts the product's 25 intents, which are the FAQ pack's intent
// labels) and paraphrase similarity. Every FAQ paraphrase becomes a TF-IDF
// vector of character n-grams: CJK runs give unigrams and bigrams, other
// scripts give whole words plus boundary trigrams (so "returns" still meets
// "return"). An entry's similarity to a question is its best near-exact
// paraphrase, or else the cosine with all its paraphrases in one language
// together.
//
// An entry is answerable in the browser when it is Local and its intent
// does not need the edge. An intent needs the edge when it is an
// escalation or live-data label (order_status, refund_status, cancel_order,
// complaint, human_agent…) or any entry with that intent is not Local: the
// shopper needs live data or a person, and central must see the message,
// even when the pack marks a related entry Local. An intent's main entry is
// its answerable entry whose ID is the intent (return_policy answers
// return_policy); other entries with the same intent (international_shipping
// under shipping_cost) are sub-topics. The browser answers when the text
// does not name a specific order (order numbers, "my order", "我的订单"…) and
//
//  1. the model does not name an intent that needs the edge with at least
//     Config.EdgeIntent (that stops everything), and
//  2. either the model names an intent with at least Config.MinIntent and
//     the intent has a main entry: that entry is answered, or a sub-topic
//     entry of the same intent whose similarity is at least
//     Config.SubtopicSimilarity and higher than the main entry's. When the
//     intent has sub-topics the model cannot tell them apart, so the main
//     entry must then also beat each of them in similarity by
//     Config.SubtopicMargin;
//  3. or the most similar entry reaches Config.MinSimilarity, beats the
//     runner-up by Config.MinMargin, is answerable, and the model does not
//     contradict it (name another intent with at least
//     Config.ContradictIntent; entries without an intent cannot be
//     contradicted). Without a model, this rule alone decides.
//
// The thresholds of DefaultConfig were chosen on the dev split of
// models/data/intent (TestTuneOnDev); TestIntentSet reports precision,
// coverage and false answers on its test split.
//
// Everything else returns no answer and the loader sends the message over
// the WebSocket, with the language and anger score computed here attached.
package core
