package store_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// TestWorkStore runs the workspace contract against every implementation.
func TestWorkStore(t *testing.T) {
	cases := []struct {
		name string
		f    func(t *testing.T, s store.Store)
	}{
		{"queue items and claim queued", testClaimQueued},
		{"claim queued once under contention", testClaimQueuedRace},
		{"transfer reopen handling times", testTransferReopen},
		{"profiles and presence", testProfiles},
		{"message texts", testMessageTexts},
		{"notes tags csat tickets", testNotesTagsCSAT},
		{"teams rules canned", testTeamsRulesCanned},
	}
	for name, open := range openers() {
		t.Run(name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { c.f(t, open(t)) })
			}
		})
	}
}

func queued(t *testing.T, s store.Store, id string, prio int, at time.Time) {
	t.Helper()
	mustInbound(t, s, inbound("demo", "v"+id, msg("m"+id, id, "help "+id)))
	if _, _, err := s.Handoff(ctx, "demo", id, prio, "asked", at); err != nil {
		t.Fatal(err)
	}
}

func testClaimQueued(t *testing.T, s store.Store) {
	now := time.UnixMilli(1_700_000_000_000)
	queued(t, s, "q1", 10, now)
	queued(t, s, "q2", 50, now.Add(time.Second))
	items, err := s.QueueItems(ctx, "demo")
	if err != nil || len(items) != 2 {
		t.Fatalf("items %+v %v", items, err)
	}
	slices.SortFunc(items, func(a, b store.QueueItem) int { return a.Priority - b.Priority })
	if items[0].ID != "q1" || items[1].Priority != 50 || !items[1].QueuedAt.Equal(now.Add(time.Second)) || items[0].Visitor != "vq1" {
		t.Fatalf("items %+v", items)
	}
	if ts, _ := s.QueuedTenants(ctx); !slices.Equal(ts, []string{"demo"}) {
		t.Fatalf("tenants %v", ts)
	}
	if ts, _ := s.ActiveTenants(ctx); !slices.Equal(ts, []string{"demo"}) {
		t.Fatalf("active tenants %v", ts)
	}
	c, err := s.ClaimQueued(ctx, "demo", "q1", "a1", now.Add(time.Minute))
	if err != nil || c.Status != store.StatusAssigned || c.Agent != "a1" {
		t.Fatalf("claim %+v %v", c, err)
	}
	if w, _ := s.Work(ctx, "demo", "q1"); !w.AssignedAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("assigned at %v", w.AssignedAt)
	}
	if _, err := s.ClaimQueued(ctx, "demo", "q1", "a2", now); !errors.Is(err, store.ErrTaken) {
		t.Fatalf("second claim: %v", err)
	}
	if _, err := s.ClaimQueued(ctx, "demo", "nope", "a2", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := s.ClaimQueued(ctx, "other", "q2", "a2", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other tenant: %v", err)
	}
	if n, _ := s.ActiveCounts(ctx, "demo"); n["a1"] != 1 {
		t.Fatalf("active %v", n)
	}
}

func testClaimQueuedRace(t *testing.T, s store.Store) {
	queued(t, s, "r1", 10, time.Now())
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.ClaimQueued(ctx, "demo", "r1", fmt.Sprintf("a%d", i), time.Now())
			switch {
			case err == nil:
				mu.Lock()
				won++
				mu.Unlock()
			case !errors.Is(err, store.ErrTaken):
				t.Errorf("claim: %v", err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d winners", won)
	}
}

func testTransferReopen(t *testing.T, s store.Store) {
	t0 := time.UnixMilli(1_700_000_000_000)
	queued(t, s, "t1", 10, t0)
	if _, err := s.ClaimQueued(ctx, "demo", "t1", "a1", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	c, err := s.Transfer(ctx, "demo", "t1", "billing", "", t0.Add(2*time.Minute))
	if err != nil || c.Status != store.StatusQueued || c.Agent != "" || !c.QueuedAt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("transfer to team %+v %v", c, err)
	}
	if w, _ := s.Work(ctx, "demo", "t1"); w.Team != "billing" {
		t.Fatalf("team %q", w.Team)
	}
	c, err = s.Transfer(ctx, "demo", "t1", "billing", "a2", t0.Add(3*time.Minute))
	if err != nil || c.Status != store.StatusAssigned || c.Agent != "a2" {
		t.Fatalf("transfer to agent %+v %v", c, err)
	}
	if _, err := s.CloseConversation(ctx, "demo", "t1", t0.Add(8*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkClosed(ctx, "demo", "t1", t0.Add(8*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if d, err := s.HandlingTimes(ctx, "demo", 10); err != nil || !slices.Equal(d, []time.Duration{5 * time.Minute}) {
		t.Fatalf("handling %v %v", d, err)
	}
	if _, err := s.Transfer(ctx, "demo", "t1", "", "a1", t0); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("transfer closed: %v", err)
	}
	c, err = s.Reopen(ctx, "demo", "t1", "a1", t0.Add(9*time.Minute))
	if err != nil || c.Status != store.StatusAssigned || c.Agent != "a1" {
		t.Fatalf("reopen %+v %v", c, err)
	}
	if err := s.MarkFirstResponse(ctx, "demo", "t1", t0.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	_ = s.MarkFirstResponse(ctx, "demo", "t1", t0.Add(11*time.Minute))
	if w, _ := s.Work(ctx, "demo", "t1"); !w.FirstResponseAt.Equal(t0.Add(10*time.Minute)) || !w.ClosedAt.IsZero() {
		t.Fatalf("work %+v", w)
	}
}

func testProfiles(t *testing.T, s store.Store) {
	p, err := s.AgentProfile(ctx, "demo", "a1")
	if err != nil || p.Presence.Status != store.PresenceOffline || p.Lang != "" {
		t.Fatalf("default %+v %v", p, err)
	}
	if err := s.PutAgentProfile(ctx, store.AgentProfile{Tenant: "demo", Agent: "a1", Lang: "de", Capacity: 3, Teams: []string{"billing", "vip"}}); err != nil {
		t.Fatal(err)
	}
	now := time.UnixMilli(1_700_000_000_000)
	if err := s.SetPresence(ctx, "demo", "a1", store.Presence{Status: store.PresenceOnline, Seen: now, Active: now}); err != nil {
		t.Fatal(err)
	}
	// An older activity time never moves Active back.
	if err := s.SetPresence(ctx, "demo", "a1", store.Presence{Status: store.PresenceOnline, Seen: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	p, _ = s.AgentProfile(ctx, "demo", "a1")
	if p.Lang != "de" || p.Capacity != 3 || !slices.Equal(p.Teams, []string{"billing", "vip"}) || p.Presence.Status != "online" ||
		!p.Presence.Active.Equal(now) || !p.Presence.Seen.Equal(now.Add(time.Minute)) {
		t.Fatalf("profile %+v", p)
	}
	if err := s.SetPresence(ctx, "demo", "a2", store.Presence{Status: "sleeping"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("bad status: %v", err)
	}
	if l, _ := s.AgentProfiles(ctx, "demo"); len(l) != 1 {
		t.Fatalf("profiles %+v", l)
	}
	if l, _ := s.AgentProfiles(ctx, "other"); len(l) != 0 {
		t.Fatalf("other tenant sees %+v", l)
	}
}

func testMessageTexts(t *testing.T, s store.Store) {
	mustInbound(t, s, inbound("demo", "v1", msg("x1", "c1", "Wo ist meine Bestellung?")))
	tr := &chat.Text{Text: "Where is my order?", Lang: "en"}
	if err := s.PutMessageText(ctx, "demo", "x1", tr, nil); err != nil {
		t.Fatal(err)
	}
	orig := &chat.Text{Text: "original", Lang: "en"}
	if err := s.PutMessageText(ctx, "demo", "x1", nil, orig); err != nil {
		t.Fatal(err)
	}
	got, err := s.MessageTexts(ctx, "demo", "c1")
	if err != nil || *got["x1"].Translation != *tr || *got["x1"].Original != *orig {
		t.Fatalf("texts %+v %v", got, err)
	}
	if err := s.PutMessageText(ctx, "demo", "missing", tr, nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing message: %v", err)
	}
}

func testNotesTagsCSAT(t *testing.T, s store.Store) {
	mustInbound(t, s, inbound("demo", "v1", msg("n1", "c1", "hi")))
	now := time.UnixMilli(1_700_000_000_000)
	n := store.Note{ID: "note1", Tenant: "demo", ConversationID: "c1", Author: "Ann", Text: "VIP, be kind", At: now}
	if _, ok, err := s.AddNote(ctx, n); err != nil || !ok {
		t.Fatalf("note %v %v", ok, err)
	}
	if _, ok, _ := s.AddNote(ctx, n); ok {
		t.Fatal("note stored twice")
	}
	if _, _, err := s.AddNote(ctx, store.Note{ID: "note2", Tenant: "demo", ConversationID: "nope", Text: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("note on missing conversation: %v", err)
	}
	if l, _ := s.Notes(ctx, "demo", "c1"); len(l) != 1 || l[0].Text != n.Text || !l[0].At.Equal(now) {
		t.Fatalf("notes %+v", l)
	}
	if err := s.SetContext(ctx, "demo", "c1", map[string]string{"url": "https://shop/p/1", "sku": "S1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetContext(ctx, "demo", "c1", map[string]string{"sku": "S2"}); err != nil {
		t.Fatal(err)
	}
	if w, _ := s.Work(ctx, "demo", "c1"); w.Context["url"] != "https://shop/p/1" || w.Context["sku"] != "S2" {
		t.Fatalf("context %v", w.Context)
	}
	if err := s.SetTags(ctx, "demo", "c1", []string{" Refund ", "refund", "VIP"}); err != nil {
		t.Fatal(err)
	}
	if w, _ := s.Work(ctx, "demo", "c1"); !slices.Equal(w.Tags, []string{"refund", "vip"}) {
		t.Fatalf("tags %v", w.Tags)
	}
	if m, err := s.TeamsAndTags(ctx, "demo", []string{"c1", "nope"}); err != nil || len(m) != 1 || !slices.Equal(m["c1"].Tags, []string{"refund", "vip"}) {
		t.Fatalf("teams and tags %+v %v", m, err)
	}
	if err := s.SetTags(ctx, "demo", "c1", []string{"a,b"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("comma tag: %v", err)
	}
	if err := s.PutCSAT(ctx, "demo", "c1", "v1", chat.CSAT{Rating: 6}, now); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("rating 6: %v", err)
	}
	if err := s.PutCSAT(ctx, "demo", "c1", "v1", chat.CSAT{Rating: 4, Comment: "quick"}, now); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCSAT(ctx, "demo", "c1", "v1", chat.CSAT{Rating: 5}, now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.CSATs(ctx, "demo", "v1"); len(r) != 1 || r[0].Rating != 5 {
		t.Fatalf("csat %+v", r)
	}
	tk := store.Ticket{ID: "tk1", Tenant: "demo", ConversationID: "c1", Kind: store.TicketCallback, Detail: "[EMAIL]", CreatedAt: now, DueAt: now.Add(time.Hour)}
	if _, ok, err := s.AddTicket(ctx, tk); err != nil || !ok {
		t.Fatalf("ticket %v %v", ok, err)
	}
	if _, ok, _ := s.AddTicket(ctx, tk); ok {
		t.Fatal("ticket twice")
	}
	if l, _ := s.Tickets(ctx, "demo", store.TicketOpen); len(l) != 1 || l[0].Detail != "[EMAIL]" || !l[0].DueAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("tickets %+v", l)
	}
	if err := s.SetTicketStatus(ctx, "demo", "tk1", store.TicketDone); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.Tickets(ctx, "demo", store.TicketOpen); len(l) != 0 {
		t.Fatalf("open tickets %+v", l)
	}
}

func testTeamsRulesCanned(t *testing.T, s store.Store) {
	if err := s.PutTeam(ctx, store.Team{Tenant: "demo", ID: "de", Name: "German", Skills: []string{"lang:de"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutTeam(ctx, store.Team{Tenant: "demo", ID: "bad id"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("bad team id: %v", err)
	}
	if l, _ := s.Teams(ctx, "demo"); len(l) != 1 || l[0].Skills[0] != "lang:de" {
		t.Fatalf("teams %+v", l)
	}
	rules := []store.Rule{{When: map[string]string{"lang": "de"}, Team: "de"}, {When: map[string]string{"vip": "true"}, Team: "vip"}}
	if err := s.PutRules(ctx, "demo", rules); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Rules(ctx, "demo"); len(got) != 2 || got[1].Team != "vip" || got[0].When["lang"] != "de" {
		t.Fatalf("rules %+v", got)
	}
	if got, err := s.Rules(ctx, "other"); err != nil || got != nil {
		t.Fatalf("no rules %+v %v", got, err)
	}
	if err := s.PutCanned(ctx, store.Canned{Tenant: "demo", Shortcut: "hi", Text: "Hello {name}!"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCanned(ctx, store.Canned{Tenant: "demo", Shortcut: "a b", Text: "x"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("bad shortcut: %v", err)
	}
	if l, _ := s.Canned(ctx, "demo"); len(l) != 1 || l[0].Text != "Hello {name}!" {
		t.Fatalf("canned %+v", l)
	}
	if err := s.DeleteCanned(ctx, "demo", "hi"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCanned(ctx, "demo", "hi"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}
