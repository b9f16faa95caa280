package central

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/kefu-io/kefu/chat"
)

func FuzzDecodeEnvelope(f *testing.F) {
	good, _ := json.Marshal(envelope("demo", "v1", "", "m1", "hello", "en"))
	for _, s := range []string{string(good), "", "{}", "null", `{"v":1,"tenant":"d","visitor":"v","message":{"id":"x","text":"\ud800"}}`,
		`{"v":1,"tenant":"d","visitor":"v","direction":"outbound","message":{"id":"x","text":"hi"}}`,
		`{"v":1,"tenant":"d","visitor":"v","message":{"id":"x","text":"hi"},"labels":{"edge_answer_id":"e1","edge_answer_text":"ok","edge_answer_plugin":"p"}}`,
		`{"v":1,"tenant":"d","visitor":"v","message":{"id":"x","text":"hi"},"labels":{"edge_answer_id":"e1"}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		env, why, err := decodeEnvelope(data)
		if err != nil {
			if why == "" {
				t.Fatal("refusal without a reason")
			}
			return
		}
		// Whatever is accepted is safe to store.
		if env.Tenant == "" || env.Visitor == "" || !chat.ValidID(env.Message.ID) || env.Message.Text == "" ||
			!utf8.ValidString(env.Message.Text) || len(env.Message.Text) > chat.MaxTextBytes {
			t.Fatalf("accepted %+v", env)
		}
		if a, answered, err := edgeAnswer(env); err != nil || answered && (a.Validate(0) != nil || a.ID == env.Message.ID) {
			t.Fatalf("accepted edge answer %+v (%v)", a, err)
		}
	})
}

func FuzzDetectLang(f *testing.F) {
	langid, err := ShippedLangID()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"hello", "退货", "返品", "환불", "Rückgabe", "", "\xff", "123"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if l := detectLang(s, langid); len(l) != 2 {
			t.Fatalf("detectLang(%q) = %q", s, l)
		}
	})
}

func TestDetectLang(t *testing.T) {
	langid, err := ShippedLangID()
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		"where is my order": "en", "我的订单在哪里": "zh", "注文はどこですか": "ja", "주문은 어디에 있나요": "ko",
		"Wo ist meine Bestellung? Ich warte schon seit zwei Wochen darauf.": "de",
		"Où est ma commande ? J'attends depuis deux semaines.":              "fr",
	}
	for text, want := range tests {
		if got := detectLang(text, langid); got != want {
			t.Errorf("detectLang(%q) = %q want %q", text, got, want)
		}
	}
}
