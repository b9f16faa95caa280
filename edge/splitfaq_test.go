package edge_test

import (
	"strings"
	"testing"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
)

func TestSplitFAQ(t *testing.T) {
	p := chat.FAQPack{Version: 1, Tenant: "shop", Entries: []chat.FAQEntry{
		{ID: "return_policy", Intent: "return_policy", Local: true,
			Questions: map[string][]string{"en": {"return policy?"}, "zh": {"退货政策?"}, "de": {"Rückgabe?"}},
			Answers:   map[string]string{"en": "30 days.", "zh": "30天内。"}},
		{ID: "order_status", Intent: "order_status",
			Questions: map[string][]string{"en": {"where is my order"}, "zh-TW": {"我的訂單在哪"}},
			Answers:   map[string]string{"en": "Let me check."}},
	}}
	got := edge.SplitFAQ(p)
	if len(got) != 4 {
		t.Fatalf("languages %v", len(got))
	}
	tests := []struct {
		lang, id   string
		questions  int
		answerKey  string
		answer     string
		wantAbsent bool
	}{
		{"en", "return_policy", 1, "en", "30 days.", false},
		{"zh", "return_policy", 1, "zh", "30天内。", false},
		{"de", "return_policy", 1, "en", "30 days.", false}, // no German answer: English
		{"zh-TW", "return_policy", 1, "zh", "30天内。", false}, // zh paraphrases and answer stand in
		{"en", "order_status", 1, "", "", false},            // not local: no answer sent to browsers
		{"de", "order_status", 0, "", "", true},             // no German paraphrase: left out
		{"zh", "order_status", 0, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.id, func(t *testing.T) {
			pack := got[tt.lang]
			if pack.Tenant != "shop" || pack.Version != 1 {
				t.Fatalf("pack header %+v", pack)
			}
			var e *chat.FAQEntry
			for i := range pack.Entries {
				if pack.Entries[i].ID == tt.id {
					e = &pack.Entries[i]
				}
			}
			if tt.wantAbsent {
				if e != nil {
					t.Fatalf("entry present: %+v", e)
				}
				return
			}
			if e == nil || len(e.Questions) != 1 || len(e.Questions[tt.lang]) != tt.questions {
				t.Fatalf("entry %+v", e)
			}
			if tt.answerKey == "" && len(e.Answers) != 0 || tt.answerKey != "" && (len(e.Answers) != 1 || e.Answers[tt.answerKey] != tt.answer) {
				t.Fatalf("answers %v", e.Answers)
			}
		})
	}
}

// TestSuggest: the chips of a language are the first paraphrases of its
// pack's first local entries, at most n; an entry the browser does not
// answer is never suggested.
func TestSuggest(t *testing.T) {
	e := func(id string, local bool, q ...string) chat.FAQEntry {
		return chat.FAQEntry{ID: id, Local: local, Questions: map[string][]string{"en": q}}
	}
	p := chat.FAQPack{Entries: []chat.FAQEntry{e("a", true, "A?", "A2?"), e("b", false, "B?"), e("c", true), e("d", true, "D?"), e("f", true, "F?"), e("g", true, "G?")}}
	tests := []struct {
		lang string
		n    int
		want string
	}{
		{"en", 3, "A?|D?|F?"},
		{"en", 1, "A?"},
		{"zh", 3, ""},
	}
	for _, tt := range tests {
		if got := strings.Join(edge.Suggest(p, tt.lang, tt.n), "|"); got != tt.want {
			t.Errorf("Suggest(%s, %d) = %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}
