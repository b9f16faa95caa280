package router

import (
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	r := New(Config{})
	tests := []struct {
		name string
		in   Input
		want Reason // "" = bot
	}{
		{"plain question", Input{Text: "what is your return policy?"}, ""},
		{"zh transfer", Input{Text: "转人工"}, ReasonAsked},
		{"zh in sentence", Input{Text: "我要人工客服，谢谢"}, ReasonAsked},
		{"en human", Input{Text: "Can I talk to a human please"}, ReasonAsked},
		{"en agents plural", Input{Text: "are there any agents online?"}, ReasonAsked},
		{"en real person", Input{Text: "I want a REAL PERSON"}, ReasonAsked},
		{"de mensch", Input{Text: "Bitte einen Menschen... nein, einen Mensch!"}, ReasonAsked},
		{"ja operator", Input{Text: "オペレーターをお願いします"}, ReasonAsked},
		{"ko agent", Input{Text: "상담원 연결해 주세요"}, ReasonAsked},
		{"not a word: agentur", Input{Text: "Ihre Agentur hat geliefert"}, ""},
		{"not a word: management", Input{Text: "is the humanitarian donation tax deductible"}, ""},
		{"intent", Input{Text: "hmm", Intent: IntentHuman}, ReasonIntent},
		{"plugin", Input{Text: "hi", Labels: map[string]string{"escalate": "legal threat"}}, ReasonPlugin},
		{"other label", Input{Text: "hi", Labels: map[string]string{"vip": "1"}}, ""},
		{"angry", Input{Text: "hi", Anger: 0.8}, ReasonAnger},
		{"annoyed", Input{Text: "hi", Anger: 0.5}, ""},
		{"bot failed once", Input{Text: "hi", BotFailures: 1}, ""},
		{"bot failed twice", Input{Text: "hi", BotFailures: 2}, ReasonBotFailed},
		{"asked wins over anger", Input{Text: "human!", Anger: 0.9}, ReasonAsked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := r.Decide(tt.in)
			if d.Human != (tt.want != "") || d.Reason != tt.want {
				t.Fatalf("got %+v want %q", d, tt.want)
			}
		})
	}
}

func TestPriority(t *testing.T) {
	r := New(Config{SLA: 10 * time.Minute})
	tests := []struct {
		name  string
		anger float64
		vip   bool
		wait  time.Duration
		want  int
	}{
		{"calm new", 0, false, 0, 10},
		{"angry new", 1, false, 0, 50},
		{"vip new", 0, true, 0, 40},
		{"half sla", 0, false, 5 * time.Minute, 25},
		{"at sla", 0, false, 10 * time.Minute, 40},
		{"double sla", 0, false, 20 * time.Minute, 60},
		{"way overdue is capped", 0, false, 10 * time.Hour, 60},
		{"everything", 1, true, 20 * time.Minute, 130},
		{"anger clamped", 7, false, 0, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.Priority(tt.anger, tt.vip, tt.wait, 0); got != tt.want {
				t.Fatalf("got %d want %d", got, tt.want)
			}
		})
	}
	// Waiting past the SLA overtakes a fresh calm VIP.
	if r.Priority(0, false, 11*time.Minute, 0) <= r.Priority(0, true, 0, 0) {
		t.Fatal("overdue conversation does not overtake a fresh VIP")
	}
	// The ANGRY badge (0.78) outranks a calm shopper who waited a little
	// longer (2 minutes of a 10-minute SLA), and ages past it only once
	// the calm one is well overdue.
	if r.Priority(0.78, false, 0, 0) <= r.Priority(0.1, false, 2*time.Minute, 0) {
		t.Fatal("angry shopper does not outrank a calm one who waited a little longer")
	}
	if r.Priority(0.1, false, 15*time.Minute, 0) <= r.Priority(0.78, false, 0, 0) {
		t.Fatal("waiting never catches up with anger")
	}
	// A per-tenant SLA is used when given.
	if r.Priority(0, false, time.Minute, time.Minute) != 40 {
		t.Fatal("tenant SLA ignored")
	}
}

func TestKeywordAnger(t *testing.T) {
	tests := []struct {
		text     string
		min, max float64
	}{
		{"where is my order?", 0, 0},
		{"this is a scam, worst shop ever", 0.7, 1},
		{"垃圾！骗子！", 0.7, 1},
		{"WHERE IS MY ORDER", 0.2, 0.3},
		{"hello!!", 0.1, 0.2},
		{"das ist Betrug", 0.4, 0.4},
	}
	for _, tt := range tests {
		got := KeywordAnger(tt.text)
		if got < tt.min || got > tt.max {
			t.Errorf("%q: %v not in [%v,%v]", tt.text, got, tt.min, tt.max)
		}
	}
}

func FuzzAskedForHuman(f *testing.F) {
	for _, s := range []string{"human", "转人工", "agents", "x\xffagent", "", "s", "é agent é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		AskedForHuman(s)
		if a := KeywordAnger(s); a < 0 || a > 1 {
			t.Fatalf("anger %v", a)
		}
	})
}
