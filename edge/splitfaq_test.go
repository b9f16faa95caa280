package edge_test

import (
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
