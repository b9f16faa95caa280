package knowledge

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"testing"

	"github.com/kefu-io/kefu/chat"
)

//go:embed testdata/pack.json
var packJSON []byte

func testIndex(t testing.TB) *Index {
	t.Helper()
	var pack chat.FAQPack
	if err := json.Unmarshal(packJSON, &pack); err != nil {
		t.Fatal(err)
	}
	x, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	if err := x.Add(context.Background(), pack); err != nil {
		t.Fatal(err)
	}
	return x
}

func TestSearch(t *testing.T) {
	x := testIndex(t)
	tests := []struct {
		lang, text string
		want       string // entry id, "" = no answer
		answerLang string
	}{
		{"en", "what's your return policy", "return_policy", "en"},
		{"en", "how can I return the item I bought?", "return_policy", "en"},
		{"en", "how long does shipping usually take", "shipping_time", "en"},
		{"en", "do you accept paypal", "payment_methods", "en"},
		{"zh", "你们的退货政策是什么", "return_policy", "zh"},
		{"zh", "快递几天能到", "shipping_time", "zh"},
		{"zh", "能用支付宝付款吗", "payment_methods", "zh"},
		{"de", "Wie kann ich den Artikel zurückgeben", "return_policy", "de"},
		{"fr", "combien de temps pour la livraison", "shipping_time", "fr"},
		{"ja", "返品ポリシーを教えて", "return_policy", "ja"},
		// Entry without a German answer: answered in English.
		{"de", "Wie sind die Rückgaberichtlinien", "return_policy", "de"},
		// Unrelated questions find nothing good.
		{"en", "is the moon made of cheese", "", ""},
		{"zh", "今天天气怎么样", "", ""},
		{"en", "my order number 12345 has not arrived yet and I am angry", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.text, func(t *testing.T) {
			hit, ok, err := x.Search(context.Background(), "demo", tt.lang, tt.text)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("score %.3f %q via %q", hit.Score, hit.Entry.ID, hit.Question)
			if tt.want == "" {
				if ok {
					t.Fatalf("answered %q (score %.2f, via %q)", hit.Entry.ID, hit.Score, hit.Question)
				}
				return
			}
			if !ok || hit.Entry.ID != tt.want {
				t.Fatalf("got %q ok=%v score %.2f via %q, want %q", hit.Entry.ID, ok, hit.Score, hit.Question, tt.want)
			}
			if hit.Lang != tt.answerLang || hit.Answer == "" {
				t.Fatalf("answer lang %q (%q)", hit.Lang, hit.Answer)
			}
			if hit.Score < DefaultThreshold || hit.Score > 1.0000001 {
				t.Fatalf("score %v", hit.Score)
			}
		})
	}
}

func TestTenantScope(t *testing.T) {
	x := testIndex(t)
	own := chat.FAQPack{Tenant: "shop-a", Entries: []chat.FAQEntry{{
		ID: "gift_wrap", Questions: map[string][]string{"en": {"Do you offer gift wrapping?"}},
		Answers: map[string]string{"en": "Yes, gift wrapping is free."}}}}
	if err := x.Add(context.Background(), own); err != nil {
		t.Fatal(err)
	}
	if hit, ok, _ := x.Search(context.Background(), "shop-a", "en", "do you offer gift wrapping"); !ok || hit.Entry.ID != "gift_wrap" {
		t.Fatalf("own entry: %+v %v", hit, ok)
	}
	if hit, ok, _ := x.Search(context.Background(), "shop-b", "en", "do you offer gift wrapping"); ok {
		t.Fatalf("shop-b sees shop-a's entry: %+v", hit)
	}
	// The shared pack serves every tenant.
	if _, ok, _ := x.Search(context.Background(), "shop-b", "en", "what is your return policy"); !ok {
		t.Fatal("shared pack not found for shop-b")
	}
	if e, ok := x.ByIntent("shop-b", "shipping_time"); !ok || e.ID != "shipping_time" {
		t.Fatalf("by intent: %+v %v", e, ok)
	}
	if _, ok := x.ByIntent("shop-b", "nope"); ok {
		t.Fatal("unknown intent found")
	}
}

func TestBadInput(t *testing.T) {
	x := testIndex(t)
	if _, _, err := x.Search(context.Background(), "demo", "en", "  "); !errors.Is(err, ErrNoText) {
		t.Fatalf("empty: %v", err)
	}
	bad := []chat.FAQPack{
		{},
		{Entries: []chat.FAQEntry{{Questions: map[string][]string{"en": {"q"}}, Answers: map[string]string{"en": "a"}}}},
		{Entries: []chat.FAQEntry{{ID: "x", Questions: map[string][]string{"en": {"q"}}}}},
		{Entries: []chat.FAQEntry{{ID: "x", Questions: map[string][]string{"en": {" "}}, Answers: map[string]string{"en": "a"}}}},
	}
	for i, p := range bad {
		if err := x.Add(context.Background(), p); !errors.Is(err, ErrBadPack) {
			t.Errorf("%d: %v", i, err)
		}
	}
	// Unknown language: standard analyzer, still works on exact wording.
	if _, _, err := x.Search(context.Background(), "demo", "xx", "What is your return policy?"); err != nil {
		t.Fatal(err)
	}
}

func FuzzSearch(f *testing.F) {
	x := testIndex(f)
	for _, s := range []string{"退货", "return policy", "", "\xff\xfe", "a b c d e f g", "返品"} {
		f.Add("en", s)
		f.Add("zh", s)
	}
	f.Fuzz(func(t *testing.T, lang, text string) {
		hit, ok, err := x.Search(context.Background(), "demo", lang, text)
		if err != nil {
			return
		}
		if ok && (hit.Score < DefaultThreshold || hit.Answer == "") {
			t.Fatalf("accepted hit %+v", hit)
		}
	})
}

func BenchmarkSearch(b *testing.B) {
	x := testIndex(b)
	ctx := context.Background()
	for b.Loop() {
		if _, _, err := x.Search(ctx, "demo", "en", "how can I return the item I bought?"); err != nil {
			b.Fatal(err)
		}
	}
}
