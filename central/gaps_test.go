package central

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/knowledge"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

// localAnswered labels en the way the edge does for a widget's reported
// local answer with its score (edge/workframes.go reportLocal).
func localAnswered(en chat.Envelope, answerID, text, faq string, score float64) chat.Envelope {
	en.SetLabel(chat.LabelLocalAnswerID, answerID)
	en.SetLabel(chat.LabelLocalAnswerText, text)
	en.SetLabel(chat.LabelLocalAnswerFAQ, faq)
	en.SetLabel(chat.LabelLocalAnswerScore, fmt.Sprintf("%.3f", score))
	return en
}

// TestGapsFromLocalAnswersAndAgents: questions the widget answered in the
// browser but unsure (score under LocalLowScore) become a gap; its draft
// takes what an agent answered to such a question over the nearest
// passage; once approved, central answers with it and the browser pack in
// KEFU_KB_PACKS carries it, well within a minute.
func TestGapsFromLocalAnswersAndAgents(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.GapInterval = 50 * time.Millisecond
	s := e.start(cfg)
	ctx := context.Background()
	if _, err := s.IngestFiles(ctx, "demo", map[string][]byte{"returns.md": []byte(returnsDoc)}, ""); err != nil {
		t.Fatal(err)
	}
	const (
		q1, q2, q3 = "do you gift wrap wedding presents", "gift wrap for a wedding present?", "what are your opening hours"
		agentReply = "Yes: wedding presents are gift-wrapped for free, just add a note at checkout."
	)
	unsure := []chat.Envelope{
		localAnswered(envelope("demo", "v1", "c1", chat.NewID(), q1, "en"), chat.NewID(), "We ship in 2 days.", "shipping_time", 0.36),
		localAnswered(envelope("demo", "v2", "c2", chat.NewID(), q2, "en"), chat.NewID(), "We ship in 2 days.", "shipping_time", 0.41),
	}
	sure := localAnswered(envelope("demo", "v3", "c3", chat.NewID(), q3, "en"), chat.NewID(), "9 to 18, Monday to Friday.", "hours", 0.93)
	for _, en := range append(unsure, sure) {
		e.publish(en)
	}
	poll.Until(t, 10*time.Second, func() error {
		if _, err := s.Store().Message(ctx, "demo", sure.Message.ID); err != nil {
			return err
		}
		for _, en := range unsure {
			if _, err := s.Store().Message(ctx, "demo", en.Message.ID); err != nil {
				return err
			}
		}
		return nil
	})
	// A miss is recorded after its message and local answer are stored,
	// so wait for both unsure ones rather than read once.
	poll.Until(t, 10*time.Second, func() error {
		misses, err := s.Store().Misses(ctx, "demo", time.Now().Add(-time.Hour), 0)
		if err != nil {
			return err
		}
		if len(misses) != 2 || misses[0].Reason != "local_low" || misses[1].Reason != "local_low" {
			return fmt.Errorf("misses %+v, want the two unsure local answers", misses)
		}
		return nil
	})
	// An agent answered the first shopper afterwards.
	if _, _, err := s.Store().SaveReply(ctx, "demo", chat.Message{ID: chat.NewID(), ConversationID: "c1", Role: chat.RoleAgent, Author: "ana",
		Text: agentReply, Lang: "en", At: time.Now()}, false); err != nil {
		t.Fatal(err)
	}
	// The miner may have drafted the gap from the nearest passage before
	// the agent's reply was stored: wait for the draft to take the reply.
	var d store.Draft
	poll.Until(t, 10*time.Second, func() error {
		ds, err := s.Store().Drafts(ctx, "demo", store.DraftPending)
		if err != nil || len(ds) != 1 {
			return fmt.Errorf("drafts %+v %v", ds, err)
		}
		d = ds[0]
		if d.Answer != agentReply || d.Sources != "agent:ana" {
			return fmt.Errorf("draft %+v, want the agent's reply", d)
		}
		return nil
	})
	approved := time.Now()
	if _, err := s.ApproveDraft(ctx, "demo", d.ID, "", ""); err != nil {
		t.Fatal(err)
	}
	kv, err := e.js.KeyValue(ctx, chat.BucketKnowledgePacks)
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, time.Minute, func() error {
		a, err := s.Hub().Ask(ctx, "demo", knowledge.Question{Text: "do you gift wrap a wedding present", Lang: "en"})
		if err != nil || a.Text != agentReply {
			return fmt.Errorf("central answers %q (%v)", a.Text, err)
		}
		ent, err := kv.Get(ctx, "demo")
		if err != nil {
			return err
		}
		var pack chat.FAQPack
		if err := json.Unmarshal(ent.Value(), &pack); err != nil {
			return err
		}
		for _, en := range pack.Entries {
			for _, ans := range en.Answers {
				if strings.Contains(ans, "gift-wrapped") {
					return nil
				}
			}
		}
		return fmt.Errorf("browser pack (%d entries) lacks the approved answer", len(pack.Entries))
	})
	t.Logf("approved draft live at central and in the browser pack after %v", time.Since(approved).Round(time.Millisecond))
}

// TestMissesFeedGaps: which shopper questions become gap material, and
// with which reason. Each case is its own conversation; a question the
// widget declined to answer locally reaches central without a local
// answer, like any other.
func TestMissesFeedGaps(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	ctx := context.Background()
	if _, err := s.IngestFiles(ctx, "demo", map[string][]byte{"returns.md": []byte(returnsDoc)}, ""); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, func() error {
		if s.Hub().Stats("demo").Documents == 0 {
			return fmt.Errorf("knowledge not loaded")
		}
		return nil
	})
	cases := []struct {
		name   string
		text   string
		label  func(chat.Envelope) chat.Envelope
		reason string // "" = no miss
	}{
		{"local answer below LocalLowScore", "do you gift wrap wedding presents", func(en chat.Envelope) chat.Envelope {
			return localAnswered(en, chat.NewID(), "We ship in 2 days.", "shipping_time", 0.3)
		}, "local_low"},
		{"confident local answer", "what are your opening hours", func(en chat.Envelope) chat.Envelope {
			return localAnswered(en, chat.NewID(), "9 to 18.", "hours", 0.95)
		}, ""},
		{"declined locally, answered by central", "can I return headphones?", nil, ""},
		{"declined locally, unknown at central", "can you engrave my wedding ring with a custom font", nil, "fallback"},
		{"asks only for a person", "I want to talk to a human", nil, ""},
		{"asks for a person about something", "I want a human, my parcel arrived crushed and the vase inside is broken", nil, "handover"},
		{"escalated by a plugin", "the box was soaking wet when the courier delivered it", func(en chat.Envelope) chat.Envelope {
			en.SetLabel(chat.LabelEscalate, "test")
			return en
		}, "handover"},
	}
	want := map[string]string{}
	var ens []chat.Envelope
	for i, c := range cases {
		en := envelope("demo", fmt.Sprintf("v%d", i), fmt.Sprintf("c%d", i), chat.NewID(), c.text, "en")
		if c.label != nil {
			en = c.label(en)
		}
		ens = append(ens, en)
		if c.reason != "" {
			want[c.text] = c.reason
		}
		e.publish(en)
	}
	// Every message handled: the local answer stored, or the bot's reply
	// or the hand-over note written.
	poll.Until(t, 20*time.Second, func() error {
		for _, en := range ens {
			if id := en.Label(chat.LabelLocalAnswerID); id != "" {
				if _, err := s.Store().Message(ctx, "demo", id); err != nil {
					return fmt.Errorf("%q: local answer: %w", en.Message.Text, err)
				}
				continue
			}
			_, err1 := s.Store().Message(ctx, "demo", derivedID("r", "demo", en.Message.ID))
			_, err2 := s.Store().Message(ctx, "demo", derivedID("h", "demo", en.Message.ID))
			if err1 != nil && err2 != nil {
				return fmt.Errorf("%q not handled yet", en.Message.Text)
			}
		}
		ms, err := s.Store().Misses(ctx, "demo", time.Now().Add(-time.Hour), 0)
		if err != nil || len(ms) < len(want) {
			return fmt.Errorf("%d misses (%v), want %d", len(ms), err, len(want))
		}
		return nil
	})
	ms, err := s.Store().Misses(ctx, "demo", time.Now().Add(-time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range ms {
		got[m.Text] = m.Reason
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got[c.text] != c.reason {
				t.Errorf("%q: miss reason %q, want %q", c.text, got[c.text], c.reason)
			}
		})
	}
	gaps, err := s.Gaps(ctx, "demo", time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]bool{}
	for _, g := range gaps {
		for _, r := range g.Reasons {
			reasons[r] = true
		}
	}
	for _, r := range []string{"local_low", "fallback", "handover"} {
		if !reasons[r] {
			t.Errorf("no gap from a %s miss: %+v", r, gaps)
		}
	}
}

func TestHandoverQuestion(t *testing.T) {
	for _, c := range []struct {
		text string
		want bool
	}{
		{"I want to talk to a human", false},
		{"human please", false},
		{"转人工", false},
		{"我要人工客服", false},
		{"real person now please", false},
		{"I want a human, my parcel arrived crushed", true},
		{"转人工，我的包裹被压坏了", true},
		{"the box was soaking wet", true},
	} {
		if got := handoverQuestion(c.text); got != c.want {
			t.Errorf("handoverQuestion(%q) = %v, want %v (terms %v)", c.text, got, c.want, knowledge.Terms(c.text))
		}
	}
}
