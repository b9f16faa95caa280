package knowledge

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/kefu-io/kefu/assets/faq"
	"github.com/kefu-io/kefu/chat"
)

// TestDefaultPack checks the shipped pack (assets/faq/default.json) against
// reworded questions in several languages: each must find its entry and be
// answered in the shopper's language.
func TestDefaultPack(t *testing.T) {
	var pack chat.FAQPack
	if err := json.Unmarshal(faq.Default(), &pack); err != nil {
		t.Fatal(err)
	}
	x, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if err := x.Add(context.Background(), pack); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ lang, text, want string }{
		{"en", "what's the return policy", "return_policy"},
		{"en", "how long will shipping take", "shipping_time"},
		{"en", "which payment methods are accepted", "payment_methods"},
		{"zh", "你们退货政策是怎样的", "return_policy"},
		{"zh-TW", "退貨政策是什麼", "return_policy"},
		{"de", "Welche Zahlungsarten gibt es?", "payment_methods"},
		{"fr", "Quelle est la politique de retour ?", "return_policy"},
		{"es", "¿Cuánto tarda el envío a mi casa?", "shipping_time"},
		{"ja", "返品ポリシーを教えて", "return_policy"},
		{"ko", "배송은 얼마나 걸려요?", "shipping_time"},
		{"ru", "Как вернуть товар?", "return_policy"},
	}
	for _, tt := range tests {
		hit, ok, err := x.Search(context.Background(), pack.Tenant, tt.lang, tt.text)
		if err != nil {
			t.Fatal(err)
		}
		if !ok || hit.Entry.ID != tt.want {
			t.Errorf("%s %q: got %q ok=%v score %.2f via %q", tt.lang, tt.text, hit.Entry.ID, ok, hit.Score, hit.Question)
			continue
		}
		if hit.Lang != tt.lang {
			t.Errorf("%s %q: answered in %q", tt.lang, tt.text, hit.Lang)
		}
	}
}
