package chat

// FAQPack is a merchant's list of frequent questions and their answers in
// several languages. The default pack ships in assets/faq/default.json; the
// widget caches it to answer in the browser, central indexes it in the
// knowledge hub. JSON form:
//
//	{"version":1,"tenant":"demo","entries":[{"id":"return_policy","intent":"return_policy",
//	  "questions":{"zh":["退货政策是什么?"],"en":["What is your return policy?"]},
//	  "answers":{"zh":"…","en":"…"},"local":true}]}
type FAQPack struct {
	Version int        `json:"version"`
	Tenant  string     `json:"tenant,omitempty"`
	Entries []FAQEntry `json:"entries"`
	// Decline lists terms (lower case) naming specific things — a
	// destination, a product line, a fee — that the knowledge hub has
	// specific answers for. The browser does not answer a question naming
	// one of them with an entry whose own questions and answers do not
	// name it: the question goes to central, which knows the specific fact.
	Decline []string `json:"decline,omitempty"`
}

// FAQEntry is one question with its paraphrases and answers, keyed by
// language (BCP-47 primary subtag: zh, en, de, fr, es, ja, ko, ar, ru, pt, it).
//
// Intent names the intent model's label the entry answers. The entry whose
// ID equals its Intent is that intent's main entry (return_policy); other
// entries with the same Intent are sub-topics (international_shipping under
// shipping_cost). The widget answers a main entry on a confident intent
// alone, a sub-topic only when the question is also close to its
// paraphrases.
type FAQEntry struct {
	ID        string              `json:"id"`
	Intent    string              `json:"intent,omitempty"`
	Questions map[string][]string `json:"questions"`
	Answers   map[string]string   `json:"answers"`
	// Local says the widget may answer this entry in the browser (static
	// facts such as the return policy). Entries whose answer depends on the
	// shopper or on live data (order status, stock) are false.
	Local bool `json:"local,omitempty"`
	// Tags are free-form topics for analytics and the knowledge hub.
	Tags []string `json:"tags,omitempty"`
}

// Answer returns the entry's answer in lang, falling back to en, then to any.
func (e *FAQEntry) Answer(lang string) (text, gotLang string) {
	if a, ok := e.Answers[lang]; ok && a != "" {
		return a, lang
	}
	if a, ok := e.Answers["en"]; ok && a != "" {
		return a, "en"
	}
	for l, a := range e.Answers {
		if a != "" {
			return a, l
		}
	}
	return "", ""
}
