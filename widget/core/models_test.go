package core

import (
	"testing"

	"github.com/kefu-io/kefu/models/artifacts"
	"github.com/kefu-io/kefu/models/textmodel"
)

// textClassifier adapts textmodel the way widget/wasm does.
type textClassifier struct{ m *textmodel.Model }

func (c textClassifier) Classify(text string) (string, float32) {
	p := c.m.Predict(text)
	return p.Label, p.Score
}

// TestShippedModels runs the core with the committed langid and intent
// artifacts, as the browser does after loading them.
func TestShippedModels(t *testing.T) {
	c := New(DefaultConfig())
	if err := c.LoadFAQ(defaultPack(t)); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{ModelLangID: artifacts.LangID(), ModelIntent: artifacts.Intent()} {
		m, err := textmodel.Load(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := c.SetModel(name, textClassifier{m}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ text, faq, lang string }{
		{"退货政策是什么?", "return_policy", "zh"},
		{"What is your return policy?", "return_policy", "en"},
		{"Quelle est votre politique de retour ?", "return_policy", "fr"},
		{"Where is my order?", "", "en"},
		{"I want a human", "", "en"},
		{"转人工", "", "zh"},
	}
	for _, tt := range tests {
		r, ok := c.Answer(tt.text)
		if r.FAQID != tt.faq || ok != (tt.faq != "") || r.Lang != tt.lang {
			t.Errorf("Answer(%q) = %+v, %v; want %q %q", tt.text, r, ok, tt.faq, tt.lang)
		}
	}
}

func loadLangIDModel(t testing.TB) *textmodel.Model {
	t.Helper()
	m, err := textmodel.Load(artifacts.LangID())
	if err != nil {
		t.Fatal(err)
	}
	return m
}
