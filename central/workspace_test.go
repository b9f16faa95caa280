package central

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

// TestWorkspaceREST: notes, tags, canned replies, teams, routing rules,
// transfer with a note, reopen, the suggestion, tickets and their bad input.
func TestWorkspaceREST(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	a := newApp(t, s)
	addAgent(t, s, "demo", "bob@demo.kefu", "bobpassword")
	ann := a.login("demo", demoEmail, demoPassword)
	bobTok := a.login("demo", "bob@demo.kefu", "bobpassword")
	var me AgentView
	a.do("GET", "/v1/me", bobTok, nil, &me)
	var r apiErr

	if code := a.do("PUT", "/v1/teams/billing", ann, map[string]any{"name": "Billing", "skills": []string{"topic:refund"}}, nil); code != 200 {
		t.Fatalf("team %d", code)
	}
	if code := a.do("PUT", "/v1/teams/a,b", ann, map[string]any{}, &r); code != 400 {
		t.Fatalf("bad team %d", code)
	}
	if code := a.do("PUT", "/v1/routing-rules", ann, []store.Rule{{When: map[string]string{"weather": "rain"}, Team: "billing"}}, &r); code != 400 || !strings.Contains(r.Error, "weather") {
		t.Fatalf("unknown condition %d %+v", code, r)
	}
	rules := []store.Rule{{When: map[string]string{"url_contains": "/refund"}, Team: "billing"}}
	if code := a.do("PUT", "/v1/routing-rules", ann, rules, nil); code != 200 {
		t.Fatalf("rules %d", code)
	}
	// A handoff from the refund page goes to the billing team.
	en := envelope("demo", "v1", "", chat.NewID(), "What is your return policy? I want a human", "en")
	en.SetLabel("url", "https://shop.example/refund?order=1")
	e.publish(en)
	conv := e.event(chat.EventHandoff).ConversationID
	var w WorkView
	poll := func() WorkView {
		var w WorkView
		a.do("GET", "/v1/conversations/"+conv+"/work", ann, nil, &w)
		return w
	}
	deadline := time.Now().Add(5 * time.Second)
	for w = poll(); w.Team != "billing" && time.Now().Before(deadline); w = poll() {
		time.Sleep(20 * time.Millisecond)
	}
	if w.Team != "billing" || w.SLA.FirstResponseDue == 0 || w.SLA.ResolutionDue <= w.SLA.FirstResponseDue {
		t.Fatalf("work %+v", w)
	}
	// The suggestion answers the latest question from the knowledge base.
	var sg Suggestion
	if code := a.do("GET", "/v1/conversations/"+conv+"/suggest", ann, nil, &sg); code != 200 || sg.Answer == "" || sg.Source != "return_policy" {
		t.Fatalf("suggest %d %+v", code, sg)
	}
	// Notes: stored, in the work view, never sent to the shopper.
	for len(e.out) > 0 {
		<-e.out
	}
	var n store.Note
	if code := a.do("POST", "/v1/conversations/"+conv+"/notes", ann, NoteRequest{ID: "note-1", Text: "refund over 100 EUR: ask a lead"}, &n); code != 201 || n.Author == "" {
		t.Fatalf("note %d %+v", code, n)
	}
	if code := a.do("POST", "/v1/conversations/"+conv+"/notes", ann, NoteRequest{Text: "  "}, &r); code != 400 {
		t.Fatalf("empty note %d", code)
	}
	if ev := e.event(chat.EventNote); ev.Message == nil || ev.Message.Text != n.Text || ev.Visitor != "" {
		t.Fatalf("note event %+v", ev)
	}
	for len(e.out) > 0 { // earlier replies may still arrive; the note must not
		if o := <-e.out; o.Message.Text == n.Text {
			t.Fatalf("a note reached the shopper: %+v", o.Message)
		}
	}
	// Tags.
	var tags map[string][]string
	if code := a.do("PUT", "/v1/conversations/"+conv+"/tags", ann, map[string]any{"tags": []string{"Refund", "vip", "refund"}}, &tags); code != 200 || len(tags["tags"]) != 2 {
		t.Fatalf("tags %d %+v", code, tags)
	}
	if code := a.do("PUT", "/v1/conversations/"+conv+"/tags", ann, map[string]any{"tags": []string{strings.Repeat("x", 41)}}, &r); code != 400 {
		t.Fatalf("long tag %d", code)
	}
	var list []ConversationView
	a.do("GET", "/v1/conversations?status=queued", ann, nil, &list)
	if len(list) != 1 || list[0].Team != "billing" || len(list[0].Tags) != 2 {
		t.Fatalf("list %+v", list)
	}
	// Canned replies.
	if code := a.do("PUT", "/v1/canned/refund", ann, map[string]string{"text": "Hi {name}, your refund for {order} is on its way."}, nil); code != 200 {
		t.Fatalf("canned %d", code)
	}
	if code := a.do("PUT", "/v1/canned/bad%20one", ann, map[string]string{"text": "x"}, &r); code != 400 {
		t.Fatalf("bad canned %d", code)
	}
	var canned []store.Canned
	if a.do("GET", "/v1/canned", ann, nil, &canned); len(canned) != 1 {
		t.Fatalf("canned %+v", canned)
	}
	// Transfer to Bob with a note; Ann can no longer reply; Bob closes; Ann reopens.
	a.do("POST", "/v1/conversations/"+conv+"/claim", ann, nil, nil)
	if code := a.do("POST", "/v1/conversations/"+conv+"/transfer", ann, TransferRequest{}, &r); code != 400 {
		t.Fatalf("empty transfer %d", code)
	}
	if code := a.do("POST", "/v1/conversations/"+conv+"/transfer", ann, TransferRequest{Agent: "nobody"}, &r); code != 400 {
		t.Fatalf("transfer to nobody %d", code)
	}
	var cv ConversationView
	if code := a.do("POST", "/v1/conversations/"+conv+"/transfer", ann, TransferRequest{Agent: me.ID, Note: "knows the carrier"}, &cv); code != 200 || cv.Agent != me.ID {
		t.Fatalf("transfer %d %+v", code, cv)
	}
	if notes, _ := s.Store().Notes(bg, "demo", conv); len(notes) != 2 || notes[1].Text != "knows the carrier" {
		t.Fatalf("transfer note %+v", notes)
	}
	if code := a.do("POST", "/v1/conversations/"+conv+"/messages", ann, ReplyRequest{Text: "hi"}, &r); code != 409 {
		t.Fatalf("ann replies after transfer %d", code)
	}
	a.do("POST", "/v1/conversations/"+conv+"/close", bobTok, nil, nil)
	if code := a.do("POST", "/v1/conversations/"+conv+"/reopen", ann, nil, &cv); code != 200 || cv.Status != store.StatusAssigned {
		t.Fatalf("reopen %d %+v", code, cv)
	}
	// Tickets: listing and bad input.
	if code := a.do("GET", "/v1/tickets?status=maybe", ann, nil, &r); code != 400 {
		t.Fatalf("bad ticket status %d", code)
	}
	if code := a.do("POST", "/v1/tickets/nope/done", ann, nil, &r); code != 404 {
		t.Fatalf("missing ticket %d", code)
	}
	var agents []AgentState
	if a.do("GET", "/v1/agents", ann, nil, &agents); len(agents) == 0 {
		t.Fatalf("agents %+v", agents)
	}
}

// TestSLABreachOnce: a conversation queued past its first-response target
// emits sla.breached once, however often the timer looks.
func TestSLABreachOnce(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	st := s.Store()
	m := chat.Message{ID: "m1", ConversationID: "c1", Role: chat.RoleShopper, Text: "help", Lang: "en", At: time.Now()}
	if _, _, _, err := st.SaveInbound(bg, store.Inbound{Tenant: "demo", Visitor: "v1", Message: m}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Handoff(bg, "demo", "c1", 10, "asked", time.Now().Add(-10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	s.slaTick()
	s.slaTick()
	ev := e.event(chat.EventSLABreach)
	if ev.ConversationID != "c1" || ev.Reason != "first_response" {
		t.Fatalf("breach %+v", ev)
	}
	time.Sleep(100 * time.Millisecond) // a second event would be on its way by now
	for len(e.evs) > 0 {
		if ev := <-e.evs; ev.Type == chat.EventSLABreach {
			t.Fatalf("second breach event %+v", ev)
		}
	}
}

// TestPushAssignment: with queue.assign least_busy a handoff goes straight
// to the online agent holding the fewest conversations.
func TestPushAssignment(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.WorkSettings = func(_ context.Context, _ string) (map[string]string, error) {
		return map[string]string{SettingAssign: "least_busy"}, nil
	}
	s := e.start(cfg)
	a := newApp(t, s)
	tok := a.login("demo", demoEmail, demoPassword)
	if code := a.do("POST", "/v1/me/presence", tok, map[string]string{"status": "online"}, nil); code != 200 {
		t.Fatal(code)
	}
	c := queued(t, e, "pushed")
	ev := e.event(chat.EventAssigned)
	if ev.ConversationID != c || ev.Agent == "" {
		t.Fatalf("assigned %+v", ev)
	}
}

// TestSkillsRouting: a rule that needs the shopper's language pushes each
// conversation only to an agent with that language skill; one nobody online
// has waits (no agent for it), is not taken next by an agent without the
// skill, and goes to an agent as soon as one adds the skill.
func TestSkillsRouting(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.WorkSettings = func(_ context.Context, _ string) (map[string]string, error) {
		return map[string]string{SettingAssign: "least_busy"}, nil
	}
	s := e.start(cfg)
	a := newApp(t, s)
	addAgent(t, s, "demo", "de@demo.kefu", demoPassword)
	addAgent(t, s, "demo", "en@demo.kefu", demoPassword)
	agents := map[string]string{} // lang → token
	for lang, email := range map[string]string{"de": "de@demo.kefu", "en": "en@demo.kefu"} {
		tok := a.login("demo", email, demoPassword)
		agents[lang] = tok
		body := map[string]any{"lang": lang, "capacity": 5, "skills": []string{"lang:" + lang, "channel:web"}}
		if code := a.do("PUT", "/v1/me/profile", tok, body, nil); code != 200 {
			t.Fatalf("profile %s: %d", lang, code)
		}
		if code := a.do("POST", "/v1/me/presence", tok, map[string]string{"status": "online"}, nil); code != 200 {
			t.Fatal(code)
		}
	}
	demoTok := a.login("demo", demoEmail, demoPassword) // admin, no skills, offline
	if code := a.do("PUT", "/v1/teams/support", demoTok, map[string]any{"name": "Support", "skills": []string{"channel"}}, nil); code != 200 {
		t.Fatalf("team: %d", code)
	}
	rules := []map[string]any{{"when": map[string]string{"reason": "asked"}, "team": "support", "skills": []string{"lang"}}}
	if code := a.do("PUT", "/v1/routing-rules", demoTok, rules, nil); code != 200 {
		t.Fatalf("rules: %d", code)
	}
	for _, bad := range []any{
		[]map[string]any{{"when": map[string]string{"reason": "asked"}, "team": "support", "skills": []string{"mood:angry"}}},
		[]map[string]any{{"when": map[string]string{"reason": "asked"}, "team": "support", "skills": []string{"lang:"}}},
	} {
		if code := a.do("PUT", "/v1/routing-rules", demoTok, bad, nil); code != 400 {
			t.Fatalf("bad rule skill: %d", code)
		}
	}
	if code := a.do("PUT", "/v1/me/profile", demoTok, map[string]any{"skills": []string{"lang"}}, nil); code != 400 {
		t.Fatalf("bare kind as an agent skill: %d", code)
	}

	// settled waits until the handoff stored the skills and, when an
	// agent is expected, the push happened.
	settled := func(conv string, assigned bool) (store.Conversation, store.Work) {
		t.Helper()
		var c store.Conversation
		var w store.Work
		poll.Until(t, 10*time.Second, func() error {
			var err error
			if c, err = s.Store().Conversation(bg, "demo", conv); err != nil {
				return err
			}
			if w, err = s.Store().Work(bg, "demo", conv); err != nil || len(w.Skills) == 0 {
				return fmt.Errorf("no skills yet (%v)", err)
			}
			if assigned && c.Agent == "" {
				return fmt.Errorf("not pushed yet")
			}
			return nil
		})
		return c, w
	}
	handoff := func(visitor, lang, text string) string {
		t.Helper()
		e.publish(envelope("demo", visitor, "", chat.NewID(), text, lang))
		for {
			if ev := e.event(chat.EventHandoff); ev.Visitor == visitor {
				return ev.ConversationID
			}
		}
	}
	tests := []struct {
		visitor, lang, text string
		skills              []string
		want                string // agent email, "" = stays queued
	}{
		{"v-de", "de", "Ich möchte mit einem Mitarbeiter sprechen", []string{"channel:web", "lang:de"}, "de@demo.kefu"},
		{"v-en", "en", "I want to talk to a human", []string{"channel:web", "lang:en"}, "en@demo.kefu"},
		{"v-de2", "de", "Bitte einen Mitarbeiter", []string{"channel:web", "lang:de"}, "de@demo.kefu"},
		{"v-fr", "fr", "je veux un conseiller", []string{"channel:web", "lang:fr"}, ""},
	}
	convs := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.visitor, func(t *testing.T) {
			conv := handoff(tt.visitor, tt.lang, tt.text)
			convs[tt.visitor] = conv
			c, w := settled(conv, tt.want != "")
			if !slices.Equal(w.Skills, tt.skills) {
				t.Fatalf("skills %v want %v", w.Skills, tt.skills)
			}
			var name string
			if c.Agent != "" {
				ag, err := s.Store().Agent(bg, "demo", c.Agent)
				if err != nil {
					t.Fatal(err)
				}
				name = ag.Email
			}
			if name != tt.want {
				t.Fatalf("assigned to %q, want %q", name, tt.want)
			}
		})
	}
	// The French conversation waits with nobody able to take it…
	fr := convs["v-fr"]
	info := e.positionOf(fr, func(q chat.QueueInfo) bool { return q.Reason == chat.QueueNoAgent })
	if info.Agents != 0 {
		t.Fatalf("position %+v", info)
	}
	// …take-next of an agent without French leaves it…
	if code := a.do("POST", "/v1/queue/next", agents["en"], nil, nil); code != 404 {
		t.Fatalf("take next without the skill: %d", code)
	}
	// …and adding the skill gives it to that agent.
	body := map[string]any{"lang": "en", "capacity": 5, "skills": []string{"lang:en", "lang:fr", "channel:web"}}
	if code := a.do("PUT", "/v1/me/profile", agents["en"], body, nil); code != 200 {
		t.Fatal(code)
	}
	poll.Until(t, 10*time.Second, func() error {
		c, err := s.Store().Conversation(bg, "demo", fr)
		if err != nil {
			return err
		}
		if c.Status != store.StatusAssigned {
			return fmt.Errorf("still %s", c.Status)
		}
		return nil
	})
	var list []AgentState
	if code := a.do("GET", "/v1/agents", demoTok, nil, &list); code != 200 {
		t.Fatal(code)
	}
	for _, ag := range list {
		if ag.Email == "en@demo.kefu" && !slices.Equal(ag.Skills, []string{"channel:web", "lang:en", "lang:fr"}) {
			t.Fatalf("agent skills %v", ag.Skills)
		}
	}
}

// TestNeededSkills: a rule's and a team's skills for a conversation; a bare
// kind is the conversation's own value, and one it has none for is left out.
func TestNeededSkills(t *testing.T) {
	conv := store.Conversation{Lang: "de", Channel: chat.ChannelWeb}
	tests := []struct {
		name  string
		specs []string
		msg   chat.Message
		want  []string
	}{
		{"none", nil, chat.Message{Lang: "de"}, nil},
		{"bare lang from the message", []string{"lang"}, chat.Message{Lang: "fr-CA"}, []string{"lang:fr"}},
		{"bare lang from the conversation", []string{"lang"}, chat.Message{}, []string{"lang:de"}},
		{"bare topic from the intent", []string{"topic", "channel"}, chat.Message{Intent: "Refund"}, []string{"channel:web", "topic:refund"}},
		{"no intent: no topic", []string{"topic"}, chat.Message{}, nil},
		{"fixed skills, deduplicated and sorted", []string{"topic:returns", "lang:de", "lang"}, chat.Message{Lang: "de"}, []string{"lang:de", "topic:returns"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := neededSkills(tt.specs, conv, tt.msg); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v want %v", got, tt.want)
			}
		})
	}
	for spec, ok := range map[string]bool{"lang": true, "topic": true, "channel": true, "lang:de": true, "mood": false, "lang:": false, "topic:a b": false, "": false} {
		if skillSpecOK(spec) != ok {
			t.Errorf("skillSpecOK(%q) = %v", spec, !ok)
		}
	}
}
