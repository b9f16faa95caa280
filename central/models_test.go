package central

import (
	"testing"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

type fixedClassifier struct {
	label string
	score float32
}

func (f fixedClassifier) Predict(string) (string, float32) { return f.label, f.score }

func TestClassifiersRoute(t *testing.T) {
	tests := []struct {
		name      string
		intent    Classifier
		sentiment Classifier
		handoff   string // "" = bot answers
	}{
		{"model human intent", fixedClassifier{"contact_human_agent", 0.95}, nil, "intent"},
		{"unsure human intent", fixedClassifier{"contact_human_agent", 0.6}, nil, ""},
		{"other intent", fixedClassifier{"track_order", 0.99}, nil, ""},
		{"very negative", fixedClassifier{"oos", 0.1}, fixedClassifier{"negative", 1}, ""},
		{"positive", nil, fixedClassifier{"positive", 0.99}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			cfg := e.config()
			cfg.Intent, cfg.Sentiment = tt.intent, tt.sentiment
			s := e.start(cfg)
			e.publish(envelope("demo", "v1", "", chat.NewID(), "What is your return policy?", "en"))
			r := e.reply()
			c, _ := s.Store().Conversation(bg, "demo", r.Message.ConversationID)
			if tt.handoff == "" {
				if r.Message.Role != chat.RoleBot || c.Status != store.StatusBot {
					t.Fatalf("handed off: %+v %+v", r.Message, c)
				}
				return
			}
			if r.Message.Role != chat.RoleSystem || c.Status != store.StatusQueued || c.Reason != tt.handoff {
				t.Fatalf("no handoff: %+v %+v", r.Message, c)
			}
		})
	}
}

func TestShippedModelsLoad(t *testing.T) {
	ic, err := ShippedIntent()
	if err != nil {
		t.Fatal(err)
	}
	if l, s := ic.Predict("I want to talk to a person"); !humanIntents[l] || s < 0.5 {
		t.Fatalf("intent %q %.2f", l, s)
	}
	if _, err := ShippedSentiment(); err != nil {
		t.Fatal(err)
	}
	if a := modelAnger("this is a SCAM!!! worst shop ever", "negative", 0.9); a < 0.7 {
		t.Fatalf("anger %.2f", a)
	}
	if a := modelAnger("thanks, great service", "positive", 0.99); a > 0.3 {
		t.Fatalf("calm anger %.2f", a)
	}
}
