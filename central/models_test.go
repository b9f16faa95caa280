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

type fixedAnger float64

func (f fixedAnger) Score(string) float64 { return float64(f) }

func TestClassifiersRoute(t *testing.T) {
	tests := []struct {
		name    string
		intent  Classifier
		anger   AngerScorer
		text    string
		handoff string // "" = bot answers
	}{
		{"model human intent", fixedClassifier{"contact_human_agent", 0.95}, fixedAnger(0), "What is your return policy?", "intent"},
		{"unsure human intent", fixedClassifier{"contact_human_agent", 0.6}, fixedAnger(0), "What is your return policy?", ""},
		{"other intent", fixedClassifier{"track_order", 0.99}, fixedAnger(0), "What is your return policy?", ""},
		{"angry model alone", fixedClassifier{"return_policy", 0.99}, fixedAnger(0.99), "What is your return policy?", ""},
		{"angry model and a cue", fixedClassifier{"return_policy", 0.99}, fixedAnger(0.99), "What is your return policy??? ", "anger"},
		{"angry model and complaint", fixedClassifier{"complaint", 0.99}, fixedAnger(0.99), "What is your return policy?", "anger"},
		{"calm model", fixedClassifier{"return_policy", 0.99}, fixedAnger(0.01), "What is your return policy?", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			cfg := e.config()
			cfg.Intent, cfg.Anger = tt.intent, tt.anger
			s := e.start(cfg)
			e.publish(envelope("demo", "v1", "", chat.NewID(), tt.text, "en"))
			r := e.reply()
			c, _ := s.Store().Conversation(bg, "demo", r.Message.ConversationID)
			if tt.handoff == "" {
				if r.Message.Role != chat.RoleBot || c.Status != store.StatusBot {
					t.Fatalf("handed off: %+v %+v", r.Message, c)
				}
				return
			}
			if r.Message.Role != chat.RoleSystem {
				t.Fatalf("no handoff: %+v %+v", r.Message, c)
			}
			if reason := e.handoffReason(r.Message.ConversationID); reason != tt.handoff {
				t.Fatalf("handoff reason %q, want %q", reason, tt.handoff)
			}
		})
	}
}

func TestMessageAnger(t *testing.T) {
	tests := []struct {
		name   string
		model  AngerScorer
		text   string
		intent string
		hint   float64
		want   float64
	}{
		{"no model: the hint", nil, "where is my parcel", "", 0.9, 0.9},
		{"no model: keywords over the hint", nil, "this is a scam, worst shop ever", "", 0.1, 0.8},
		{"no model: hint clamped", nil, "hm", "", 7, 1},
		{"model ignores the hint", fixedAnger(0.2), "where is my parcel", "", 0.9, 0.2},
		{"uncorroborated model capped", fixedAnger(0.95), "where is my parcel", "order_status", 0, uncorroborated},
		{"a cue corroborates", fixedAnger(0.95), "where is my parcel!", "order_status", 0, 0.95},
		{"shouting corroborates", fixedAnger(0.95), "WHERE is my parcel", "", 0, 0.95},
		{"complaint intent corroborates", fixedAnger(0.95), "where is my parcel", intentComplaint, 0, 0.95},
		{"keyword corroborates", fixedAnger(0.95), "where is my parcel, this is a scam", "", 0, 0.95},
		{"keyword rule is a floor", fixedAnger(0.1), "this is a scam, worst shop ever", "", 0, 0.8},
		{"model clamped", fixedAnger(3), "scam!!!", "", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := messageAnger(tt.model, tt.text, tt.intent, tt.hint); got < tt.want-1e-9 || got > tt.want+1e-9 {
				t.Fatalf("messageAnger = %.3f, want %.3f", got, tt.want)
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
	ac, err := ShippedAnger()
	if err != nil {
		t.Fatal(err)
	}
	if a := ac.Score("this is a SCAM!!! worst shop ever"); a < 0.7 {
		t.Fatalf("anger %.2f", a)
	}
	if a := ac.Score("thanks, great service"); a > 0.3 {
		t.Fatalf("calm anger %.2f", a)
	}
}
