package core

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/chat"
)

// loadPack reads testdata/faq.json (chat.FAQPack JSON) into core entries.
func loadPack(t testing.TB) []Entry {
	t.Helper()
	b, err := os.ReadFile("testdata/faq.json")
	if err != nil {
		t.Fatal(err)
	}
	var p chat.FAQPack
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	out := make([]Entry, len(p.Entries))
	for i, e := range p.Entries {
		out[i] = Entry{ID: e.ID, Intent: e.Intent, Questions: e.Questions, Answers: e.Answers, Local: e.Local}
	}
	return out
}

func newCore(t testing.TB) *Core {
	t.Helper()
	c := New(DefaultConfig())
	if err := c.LoadFAQ(loadPack(t)); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAnswerLocal(t *testing.T) {
	c := newCore(t)
	tests := []struct {
		text   string
		faq    string // "" = no local answer
		lang   string
		prefix string // expected start of the answer text
	}{
		{"退货政策是什么?", "return_policy", "zh", "收货后30天内"},
		{"What is your return policy?", "return_policy", "en", "You can return"},
		{"what's the return policy", "return_policy", "en", "You can return"},
		{"你们的退货政策是什么？", "return_policy", "zh", "收货后"},
		{"Quelle est votre politique de retour?", "return_policy", "fr", "Vous pouvez"},
		{"Wie lange dauert der Versand nach Deutschland?", "shipping_time", "de", "Bestellungen"},
		{"how long does shipping take", "shipping_time", "en", "Orders ship"},
		{"运费多少钱", "shipping_cost", "zh", "订单满50"},
		{"Is shipping free?", "shipping_cost", "en", "Shipping is free"},
		{"Do you accept PayPal?", "payment_methods", "en", "We accept"},
		{"有尺码表吗", "size_guide", "zh", "我们的夹克"},
		{"返品できますか", "return_policy", "ja", "未着用"},
		{"¿Cuál es la política de devoluciones?", "return_policy", "es", "Puede devolver"},
		// Live-data entries are never answered in the browser.
		{"Where is my order?", "", "en", ""},
		{"Is this in stock?", "", "en", ""},
		{"还有货吗", "", "zh", ""},
		// A specific order, even when the topic is a static one.
		{"I want to return my order 20240917123", "", "en", ""},
		{"订单号 2024091712345 怎么退货", "", "zh", ""},
		{"What is the return policy for my order?", "", "en", ""},
		{"Wo ist meine Bestellung?", "", "de", ""},
		// Unrelated or too vague: below the threshold.
		{"I want a human", "", "en", ""},
		{"转人工", "", "zh", ""},
		{"hello", "", "en", ""},
		{"Do you sell gift cards for birthdays?", "", "en", ""},
		{"", "", "", ""},
		{"   ", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			r, ok := c.Answer(tt.text)
			if ok != (tt.faq != "") || r.FAQID != tt.faq {
				t.Fatalf("Answer(%q) = %+v, %v; want faq %q", tt.text, r, ok, tt.faq)
			}
			if tt.lang != "" && r.Lang != tt.lang {
				t.Errorf("lang = %q want %q", r.Lang, tt.lang)
			}
			if !strings.HasPrefix(r.Text, tt.prefix) {
				t.Errorf("text = %q want prefix %q", r.Text, tt.prefix)
			}
			if ok && (r.Score < c.cfg.MinSimilarity || r.Score > 1) {
				t.Errorf("score %v out of range", r.Score)
			}
		})
	}
}

func TestThresholds(t *testing.T) {
	q := "What is your return policy?"
	strict := DefaultConfig()
	strict.MinSimilarity = 1.01 // nothing can reach it
	c := New(strict)
	if err := c.LoadFAQ(loadPack(t)); err != nil {
		t.Fatal(err)
	}
	if r, ok := c.Answer(q); ok {
		t.Fatalf("strict config answered %+v", r)
	}
	loose := DefaultConfig()
	loose.MinSimilarity, loose.MinMargin = 0.05, 0
	c = New(loose)
	if err := c.LoadFAQ(loadPack(t)); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Answer("return"); !ok {
		t.Fatal("loose config did not answer a one-word question")
	}
	// Even the loosest config never answers a live-data entry or a specific order.
	for _, q := range []string{"Where is my order?", "return order 123456789"} {
		if r, ok := c.Answer(q); ok {
			t.Errorf("loose config answered %q: %+v", q, r)
		}
	}
}

// fakeModel is a Classifier with fixed answers, to test the decision rules
// independently of any trained model.
type fakeModel map[string]struct {
	label string
	score float32
}

func (f fakeModel) Classify(text string) (string, float32) {
	p := f[text]
	return p.label, p.score
}

func TestIntentModel(t *testing.T) {
	c := newCore(t)
	m := fakeModel{
		// Similarity alone is too low for this paraphrase; the model decides.
		"can I send it back": {"return_policy", 0.97},
		// Not sure enough to decide alone, and the text matches nothing.
		"banana": {"return_policy", 0.9},
		// The model is sure of an intent the FAQ has no local entry for.
		"where's the thing I paid for": {"order_status", 0.9},
		// Even a weak edge label stops a good similarity match.
		"What is your return policy? I want a human": {"contact_human_agent", 0.4},
		// A confident label that differs from the match vetoes it…
		"How long does shipping take?": {"delivery_period", 0.95},
		// …a weak one says nothing and similarity decides.
		"What is your return policy?": {"promotion", 0.3},
		// A confident label that agrees with the match.
		"Is shipping free?": {"shipping_cost", 0.7},
		// The model alone answers the intent's main entry, even for an
		// entry whose paraphrases share nothing with the text.
		"what do u take, visa?": {"payment_methods", 0.99},
	}
	if err := c.SetModel(ModelIntent, m); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text   string
		faq    string
		intent string
	}{
		{"can I send it back", "return_policy", "return_policy"},
		{"banana", "", "return_policy"},
		{"where's the thing I paid for", "", "order_status"},
		{"What is your return policy? I want a human", "", "contact_human_agent"},
		{"How long does shipping take?", "", "delivery_period"},
		{"What is your return policy?", "return_policy", "return_policy"},
		{"Is shipping free?", "shipping_cost", "shipping_cost"},
		{"what do u take, visa?", "payment_methods", "payment_methods"},
	}
	for _, tt := range tests {
		r, ok := c.Answer(tt.text)
		if r.FAQID != tt.faq || ok != (tt.faq != "") || r.Intent != tt.intent {
			t.Errorf("Answer(%q) = %+v, %v; want faq %q intent %q", tt.text, r, ok, tt.faq, tt.intent)
		}
	}
	if r, _ := c.Answer("can I send it back"); r.Score != 0.97 {
		t.Errorf("model-decided score = %v want the intent probability", r.Score)
	}
	// MinIntent: a stricter setting leaves the same text to the edge.
	cfg := DefaultConfig()
	cfg.MinIntent = 0.99
	c2 := New(cfg)
	_ = c2.LoadFAQ(loadPack(t))
	_ = c2.SetModel(ModelIntent, m)
	if r, ok := c2.Answer("can I send it back"); ok {
		t.Errorf("MinIntent 0.99 answered %+v", r)
	}
	if err := c.SetModel("sentiment", m); !errors.Is(err, ErrUnknownModel) {
		t.Errorf("SetModel(sentiment) = %v", err)
	}
	if err := c.SetModel(ModelIntent, nil); err != nil {
		t.Fatal(err)
	}
	if r, _ := c.Answer("banana"); r.Intent != "" {
		t.Errorf("removed model still used: %+v", r)
	}
}

func TestLangIDModel(t *testing.T) {
	c := newCore(t)
	_ = c.SetModel(ModelLangID, fakeModel{"Hallo, Versand?": {"de", 0.9}, "ok": {"fr", 0.2}})
	if r := c.Analyze("Hallo, Versand?"); r.Lang != "de" {
		t.Errorf("lang = %q want de", r.Lang)
	}
	if r := c.Analyze("ok"); r.Lang == "fr" {
		t.Errorf("low-confidence model prediction used")
	}
	// Script detection is not overridden: kana is Japanese whatever the model says.
	_ = c.SetModel(ModelLangID, fakeModel{"返品できますか": {"zh", 0.99}})
	if r := c.Analyze("返品できますか"); r.Lang != "ja" {
		t.Errorf("lang = %q want ja", r.Lang)
	}
}

func TestLoadFAQErrors(t *testing.T) {
	good := Entry{ID: "a", Questions: map[string][]string{"en": {"hi there"}}, Answers: map[string]string{"en": "hello"}, Local: true}
	tests := []struct {
		name    string
		entries []Entry
		want    error
	}{
		{"no id", []Entry{{Questions: good.Questions, Answers: good.Answers}}, ErrNoID},
		{"dup", []Entry{good, good}, ErrDuplicateID},
		{"no questions", []Entry{{ID: "x", Answers: good.Answers}}, ErrNoQuestions},
		{"punctuation only", []Entry{{ID: "x", Questions: map[string][]string{"en": {"?!"}}, Answers: good.Answers}}, ErrNoQuestions},
		{"no answers", []Entry{{ID: "x", Questions: good.Questions, Answers: map[string]string{"en": " "}, Local: true}}, ErrNoAnswers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(DefaultConfig())
			_ = c.LoadFAQ([]Entry{good})
			err := c.LoadFAQ(tt.entries)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v want %v", err, tt.want)
			}
			var ee *EntryError
			if !errors.As(err, &ee) || !strings.Contains(err.Error(), "core: faq entry") {
				t.Fatalf("err %v is not an *EntryError", err)
			}
			if c.Entries() != 1 {
				t.Fatalf("failed load replaced the cache")
			}
		})
	}
	// An entry the browser never answers needs no answer (the per-language packs leave them out).
	c := New(DefaultConfig())
	if err := c.LoadFAQ([]Entry{good, {ID: "x", Questions: map[string][]string{"en": {"where is my order"}}}}); err != nil || c.Entries() != 2 {
		t.Fatalf("entry without answers that is not local: %v", err)
	}
}

func TestEmptyCache(t *testing.T) {
	c := New(DefaultConfig())
	r, ok := c.Answer("What is your return policy?")
	if ok || r.Lang != "en" {
		t.Fatalf("empty cache: %+v %v", r, ok)
	}
	if _, ok := c.Answer(strings.Repeat("a", MaxTextBytes+1)); ok {
		t.Fatal("answered an oversized text")
	}
}

func TestEntryAnswerFallback(t *testing.T) {
	e := Entry{Answers: map[string]string{"fr": "bonjour", "de": "hallo"}}
	if txt, l := e.Answer("ja"); txt != "hallo" || l != "de" {
		t.Errorf("got %q %q", txt, l)
	}
	e.Answers["en"] = "hello"
	if txt, l := e.Answer("ja"); txt != "hello" || l != "en" {
		t.Errorf("got %q %q", txt, l)
	}
}

func TestDetectLanguage(t *testing.T) {
	tests := map[string]string{
		"What is your return policy?":            "en",
		"退货政策是什么?":                               "zh",
		"返品ポリシーは何ですか":                            "ja",
		"반품 정책이 뭐예요?":                            "ko",
		"Wie lange dauert der Versand?":          "de",
		"Quelle est votre politique de retour ?": "fr",
		"¿Cuánto tarda el envío?":                "es",
		"Qual é a política de devolução?":        "pt",
		"Какая у вас политика возврата?":         "ru",
		"Größe": "de",
		"":      "en",
		"12345": "en",
	}
	for in, want := range tests {
		if got, _ := DetectLanguage(in); got != want {
			t.Errorf("DetectLanguage(%q) = %q want %q", in, got, want)
		}
	}
}

func TestAngerScore(t *testing.T) {
	tests := []struct {
		text     string
		min, max float64
	}{
		{"What is your return policy?", 0, 0.05},
		{"退货政策是什么?", 0, 0.05},
		{"Thanks!", 0, 0.15},
		{"This is the WORST service ever!!! I want my money back", 0.65, 1},
		{"WHERE IS MY PACKAGE", 0.35, 0.6},
		{"垃圾客服，气死我了！！！", 0.7, 1},
		{"soooooo slow", 0.1, 0.3},
		{"C'est une arnaque, inadmissible", 0.6, 1},
		{"annul", 0, 0.05}, // "nul" only at a word start
	}
	for _, tt := range tests {
		if got := AngerScore(tt.text); got < tt.min || got > tt.max {
			t.Errorf("AngerScore(%q) = %.2f want [%.2f, %.2f]", tt.text, got, tt.min, tt.max)
		}
	}
}

func TestOrderSpecific(t *testing.T) {
	tests := map[string]bool{
		"Where is my order?":                 true,
		"order #A1234567":                    true,
		"我的订单什么时候到":                          true,
		"call me at 13812345678":             true,
		"What is your return policy?":        false,
		"Do you ship to the EU in 3-5 days?": false,
		"size 38 or 40?":                     false,
		"Où est ma commande ?":               true,
	}
	for in, want := range tests {
		if got := OrderSpecific(in); got != want {
			t.Errorf("OrderSpecific(%q) = %v want %v", in, got, want)
		}
	}
}

func FuzzAnswer(f *testing.F) {
	for _, s := range []string{"退货政策是什么?", "What is your return policy?", "!!!", "\xff\xfe", "order 123456", "ｒｅｔｕｒｎ"} {
		f.Add(s)
	}
	c := newCore(f)
	f.Fuzz(func(t *testing.T, s string) {
		r, ok := c.Answer(s)
		if r.Anger < 0 || r.Anger > 1 || r.Score < 0 || r.Score > 1 {
			t.Fatalf("out of range: %+v", r)
		}
		if ok && (r.FAQID == "" || r.Text == "" || r.OrderSpecific) {
			t.Fatalf("bad answer: %+v", r)
		}
	})
}

// TestIntentModelOf: a text is classified by the intent model of the
// language the core takes it for (intent.zh for zh and zh-TW), else by the
// multilingual model, else by none.
func TestIntentModelOf(t *testing.T) {
	c := newCore(t)
	_ = c.SetModel(ModelLangID, fakeModel{"我要退货": {"zh", 0.99}, "Wo ist mein Paket?": {"de", 0.9}, "where is my parcel": {"en", 0.9}})
	zh := fakeModel{"我要退货": {"return_policy", 0.6}}
	all := fakeModel{"我要退货": {"cancel_order", 0.6}, "Wo ist mein Paket?": {"order_status", 0.6}}
	steps := []struct {
		name   string
		model  Classifier
		text   string
		intent string
	}{
		{"", nil, "我要退货", ""},
		{ModelIntent, all, "我要退货", "cancel_order"},
		{IntentModelOf("zh"), zh, "我要退货", "return_policy"},
		{"", nil, "Wo ist mein Paket?", "order_status"}, // no de model: the multilingual one
		{IntentModelOf("de"), fakeModel{}, "Wo ist mein Paket?", ""},
		{IntentModelOf("zh"), nil, "我要退货", "cancel_order"}, // removed: the multilingual one again
		{ModelIntent, nil, "我要退货", ""},
	}
	for i, s := range steps {
		if s.name != "" {
			if err := c.SetModel(s.name, s.model); err != nil {
				t.Fatalf("step %d: SetModel(%s) = %v", i, s.name, err)
			}
		}
		if r := c.Analyze(s.text); r.Intent != s.intent {
			t.Errorf("step %d: Analyze(%q).Intent = %q want %q (lang %q)", i, s.text, r.Intent, s.intent, r.Lang)
		}
	}
	if err := c.SetModel(IntentModelOf(""), zh); !errors.Is(err, ErrUnknownModel) {
		t.Errorf("SetModel(%q) = %v, want ErrUnknownModel", IntentModelOf(""), err)
	}
}
