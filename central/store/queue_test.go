package store_test

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/router"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// TestQueueStore runs the in-database ranking and take-next against every
// implementation.
func TestQueueStore(t *testing.T) {
	cases := []struct {
		name string
		f    func(t *testing.T, s store.Store)
	}{
		{"priority in SQL equals router.Priority", testRankMatchesRouter},
		{"take next by teams and skills", testTakeNextTaker},
		{"parallel take next claims each once", testTakeNextParallel},
		{"bad input", testRankBadInput},
	}
	for name, open := range openers() {
		t.Run(name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { c.f(t, open(t)) })
			}
		})
	}
}

// enqueue puts a conversation with anger and VIP in the queue at at.
func enqueue(t *testing.T, s store.Store, id string, anger float64, vip bool, at time.Time) {
	t.Helper()
	m := msg("m"+id, id, "help "+id)
	m.Anger = anger
	in := inbound("demo", "v"+id, m)
	in.VIP = vip
	mustInbound(t, s, in)
	if _, _, err := s.Handoff(ctx, "demo", id, 10, "asked", at); err != nil {
		t.Fatal(err)
	}
}

func testRankMatchesRouter(t *testing.T, s store.Store) {
	now := time.UnixMilli(1_700_000_000_000)
	sla, slaVIP := 10*time.Minute, 4*time.Minute
	r := router.New(router.Config{})
	type conv struct {
		anger float64
		vip   bool
		wait  time.Duration
	}
	// router's table cases, the rounding and wait boundaries exactly, and
	// random ones.
	convs := []conv{
		{0, false, 0}, {1, false, 0}, {0, true, 0}, {0, false, 5 * time.Minute}, {0, false, 10 * time.Minute},
		{0, false, 20 * time.Minute}, {0, false, 10 * time.Hour}, {1, true, 20 * time.Minute}, {7, false, 0}, {-3, false, time.Minute},
		{0.78, false, 0}, {0.1, false, 2 * time.Minute}, {0.1, false, 15 * time.Minute},
		{0.0125, false, 0}, {0.0375, false, 0}, {0.5125, true, 0}, {0.9875, false, 0},
		{0, false, -time.Minute}, {0, false, time.Millisecond}, {0, true, 4 * time.Minute}, {0, true, 8 * time.Minute},
		{0, true, 4*time.Minute + time.Millisecond}, {0, false, 10*time.Minute + 30*time.Second}, {0, false, 19*time.Minute + 59*time.Second},
		{0.3, false, 20 * time.Second}, {0.3, false, 40 * time.Second}, {0.3, false, 60 * time.Second},
	}
	rng := rand.New(rand.NewPCG(1, 10))
	for range 120 {
		convs = append(convs, conv{float64(rng.IntN(81)) / 80, rng.IntN(4) == 0, time.Duration(rng.Int64N(int64(25 * time.Minute))).Truncate(time.Millisecond)})
		convs = append(convs, conv{rng.Float64(), rng.IntN(4) == 0, time.Duration(rng.IntN(1500)) * time.Second})
	}
	want := map[string]int{}
	for i, c := range convs {
		id := fmt.Sprintf("p%03d", i)
		enqueue(t, s, id, c.anger, c.vip, now.Add(-c.wait))
		target := sla
		if c.vip {
			target = slaVIP
		}
		want[id] = r.Priority(c.anger, c.vip, c.wait, target)
	}
	got, err := s.RankedQueue(ctx, "demo", store.Rank{Now: now, SLA: sla, SLAVIP: slaVIP})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(convs) {
		t.Fatalf("%d ranked, want %d", len(got), len(convs))
	}
	for _, it := range got {
		if it.Priority != want[it.ID] {
			t.Errorf("%s: SQL priority %d, router.Priority %d", it.ID, it.Priority, want[it.ID])
		}
	}
	// Ranked: priority, then the longer wait, then the id.
	sorted := slices.IsSortedFunc(got, func(a, b store.QueueItem) int {
		if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
			return c
		}
		if c := a.QueuedAt.Compare(b.QueuedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if !sorted {
		t.Fatal("not ranked best first")
	}
	// The angry shopper (0.78, p010) is ahead of the calm one who waited a little longer (p011).
	if slices.IndexFunc(got, func(it store.QueueItem) bool { return it.ID == "p010" }) > slices.IndexFunc(got, func(it store.QueueItem) bool { return it.ID == "p011" }) {
		t.Fatal("angry shopper behind a calm one")
	}
	top, err := s.RankedQueue(ctx, "demo", store.Rank{Now: now, SLA: sla, SLAVIP: slaVIP, Limit: 5})
	if err != nil || len(top) != 5 || top[0].ID != got[0].ID || top[4].ID != got[4].ID {
		t.Fatalf("limit 5: %v %v", top, err)
	}
	// Take-next takes them in that order.
	for i := range 3 {
		c, err := s.TakeNext(ctx, "demo", "a1", store.Rank{Now: now, SLA: sla, SLAVIP: slaVIP})
		if err != nil || c.ID != got[i].ID || c.Status != store.StatusAssigned || c.Agent != "a1" {
			t.Fatalf("take %d: %+v %v, want %s", i, c, err, got[i].ID)
		}
	}
}

func testTakeNextTaker(t *testing.T, s store.Store) {
	now := time.UnixMilli(1_700_000_000_000)
	rank := func(taker *store.Taker) store.Rank {
		return store.Rank{Now: now, SLA: 5 * time.Minute, SLAVIP: 5 * time.Minute, Taker: taker}
	}
	enqueue(t, s, "plain", 0, false, now.Add(-time.Minute))
	enqueue(t, s, "de", 0.9, false, now)
	enqueue(t, s, "de-refund", 0.9, false, now)
	enqueue(t, s, "billing", 0.5, false, now)
	if err := s.SetConversationSkills(ctx, "demo", "de", []string{"lang:de"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetConversationSkills(ctx, "demo", "de-refund", []string{"Topic:Refund ", "lang:de"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transfer(ctx, "demo", "billing", "billing", "", now); err != nil {
		t.Fatal(err)
	}
	ids := func(taker *store.Taker) []string {
		q, err := s.RankedQueue(ctx, "demo", rank(taker))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range q {
			out = append(out, it.ID)
			if it.ID == "de-refund" && !slices.Equal(it.Skills, []string{"lang:de", "topic:refund"}) {
				t.Fatalf("skills %v", it.Skills)
			}
		}
		return out
	}
	tests := []struct {
		name  string
		taker *store.Taker
		want  []string
	}{
		{"everyone (a queue view)", nil, []string{"de", "de-refund", "billing", "plain"}},
		{"no skills, no team: what needs no skill", &store.Taker{}, []string{"billing", "plain"}},
		{"german speaker", &store.Taker{Skills: []string{"lang:de"}}, []string{"de", "billing", "plain"}},
		{"german refunds", &store.Taker{Skills: []string{"topic:refund", "lang:de", "channel:web"}}, []string{"de", "de-refund", "billing", "plain"}},
		{"refunds only", &store.Taker{Skills: []string{"topic:refund"}}, []string{"billing", "plain"}},
		{"team sales", &store.Taker{Teams: []string{"sales"}, Skills: []string{"lang:de"}}, []string{"de", "plain"}},
		{"team billing", &store.Taker{Teams: []string{"sales", "billing"}}, []string{"billing", "plain"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(tt.taker); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v want %v", got, tt.want)
			}
			if tt.taker != nil {
				for _, id := range tt.want {
					q, _ := s.RankedQueue(ctx, "demo", rank(nil))
					i := slices.IndexFunc(q, func(it store.QueueItem) bool { return it.ID == id })
					if !tt.taker.CanTake(q[i].Team, q[i].Skills) {
						t.Fatalf("CanTake disagrees on %s", id)
					}
				}
			}
		})
	}
	c, err := s.TakeNext(ctx, "demo", "a1", rank(&store.Taker{Skills: []string{"topic:refund"}}))
	if err != nil || c.ID != "billing" {
		t.Fatalf("take: %+v %v", c, err)
	}
	if _, err := s.TakeNext(ctx, "demo", "a1", rank(&store.Taker{Teams: []string{"x"}, Skills: []string{"lang:fr"}})); err != nil {
		t.Fatalf("plain is left: %v", err)
	}
	if _, err := s.TakeNext(ctx, "demo", "a1", rank(&store.Taker{})); !errors.Is(err, store.ErrEmpty) {
		t.Fatalf("only skilled work is left, want ErrEmpty: %v", err)
	}
}

func testTakeNextParallel(t *testing.T, s store.Store) {
	const n, agents = 40, 8
	now := time.Now()
	for i := range n {
		enqueue(t, s, fmt.Sprintf("c%02d", i), float64(i%5)/5, i%7 == 0, now.Add(-time.Duration(i)*time.Second))
	}
	var mu sync.Mutex
	claimed := map[string]string{}
	var wg sync.WaitGroup
	for a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			agent := fmt.Sprintf("a%d", a)
			for {
				c, err := s.TakeNext(ctx, "demo", agent, store.Rank{Now: time.Now(), SLA: 5 * time.Minute, SLAVIP: 2 * time.Minute})
				if errors.Is(err, store.ErrEmpty) {
					return
				}
				if err != nil {
					t.Errorf("take next: %v", err)
					return
				}
				mu.Lock()
				if prev, ok := claimed[c.ID]; ok {
					t.Errorf("%s claimed by %s and %s", c.ID, prev, agent)
				}
				claimed[c.ID] = agent
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(claimed) != n {
		t.Fatalf("%d of %d claimed", len(claimed), n)
	}
	counts, err := s.ActiveCounts(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for a, k := range counts {
		total += k
		per := 0
		for _, who := range claimed {
			if who == a {
				per++
			}
		}
		if per != k {
			t.Fatalf("%s holds %d, took %d", a, k, per)
		}
	}
	if total != n {
		t.Fatalf("%d held, want %d", total, n)
	}
}

func testRankBadInput(t *testing.T, s store.Store) {
	if _, err := s.RankedQueue(ctx, "demo", store.Rank{Now: time.Now()}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("no SLA: %v", err)
	}
	if _, err := s.TakeNext(ctx, "demo", "", store.Rank{Now: time.Now(), SLA: time.Minute, SLAVIP: time.Minute}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("no agent: %v", err)
	}
	for _, bad := range [][]string{{"de"}, {"lang:"}, {"mood:angry"}, {"lang:d,e"}, {"lang:" + string(make([]byte, 41))}} {
		if _, err := store.CleanSkills(bad); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("%q: %v", bad, err)
		}
	}
	mustInbound(t, s, inbound("demo", "v1", msg("m1", "c1", "hi")))
	if err := s.SetConversationSkills(ctx, "demo", "c1", []string{"lang:de,topic:x"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("comma: %v", err)
	}
	if err := s.SetConversationSkills(ctx, "demo", "nope", []string{"lang:de"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if err := s.PutAgentProfile(ctx, store.AgentProfile{Tenant: "demo", Agent: "a1", Skills: []string{"lang:de", "LANG:de", "channel:wechat"}}); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.AgentProfile(ctx, "demo", "a1"); !slices.Equal(p.Skills, []string{"channel:wechat", "lang:de"}) {
		t.Fatalf("agent skills %v", p.Skills)
	}
	if err := s.PutAgentProfile(ctx, store.AgentProfile{Tenant: "demo", Agent: "a1", Skills: []string{"x"}}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("bad agent skill: %v", err)
	}
}

// TestShownStore: what the shopper was shown of a reply is kept beside it.
func TestShownStore(t *testing.T) {
	for name, open := range openers() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			mustInbound(t, s, inbound("demo", "v1", msg("m1", "c1", "hi")))
			reply := chat.Message{ID: "r1", ConversationID: "c1", Role: chat.RoleAgent, Text: "Hello!", Author: "Sam", At: time.UnixMilli(1_700_000_000_100)}
			if _, _, err := s.SaveReply(ctx, "demo", reply, false); err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				name, id, text string
				changed        bool
				err            error
			}{
				{"plugin appended a line", "r1", "Hello!\n\n🎁 15% off", true, nil},
				{"the same again", "r1", "Hello!\n\n🎁 15% off", false, nil},
				{"the reply's own text clears it", "r1", "Hello!", false, nil},
				{"changed again", "r1", "Hello! (promo)", true, nil},
				{"a shopper's message", "m1", "hi!", false, store.ErrInvalid},
				{"unknown reply", "nope", "x", false, store.ErrNotFound},
				{"empty text", "r1", "", false, store.ErrInvalid},
			}
			for _, tt := range tests {
				changed, err := s.SetShown(ctx, "demo", tt.id, tt.text)
				if changed != tt.changed || !errors.Is(err, tt.err) {
					t.Fatalf("%s: changed %v err %v, want %v %v", tt.name, changed, err, tt.changed, tt.err)
				}
			}
			texts, err := s.MessageTexts(ctx, "demo", "c1")
			if err != nil || texts["r1"].Shown != "Hello! (promo)" {
				t.Fatalf("texts %+v %v", texts, err)
			}
			if _, err := s.SetShown(ctx, "other", "r1", "x"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("another tenant's reply: %v", err)
			}
		})
	}
}

// TestShownStoreAll: several reports in one call, each as SetShown alone
// would have it, refusals their own.
func TestShownStoreAll(t *testing.T) {
	for name, open := range openers() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			mustInbound(t, s, inbound("demo", "v1", msg("m1", "c1", "hi")))
			for _, id := range []string{"r1", "r2"} {
				reply := chat.Message{ID: id, ConversationID: "c1", Role: chat.RoleBot, Text: "Hello " + id, At: time.UnixMilli(1_700_000_000_100)}
				if _, _, err := s.SaveReply(ctx, "demo", reply, false); err != nil {
					t.Fatal(err)
				}
			}
			reports := []store.Shown{
				{Tenant: "demo", ID: "r1", Text: "Hello r1 + promo"},
				{Tenant: "demo", ID: "nope", Text: "x"},
				{Tenant: "demo", ID: "r2", Text: ""},
				{Tenant: "demo", ID: "m1", Text: "hi!"},
				{Tenant: "demo", ID: "r2", Text: "Hello r2 + promo"},
				{Tenant: "demo", ID: "r1", Text: "Hello r1 + promo"},
				{Tenant: "other", ID: "r2", Text: "x"},
				{Tenant: "demo", ID: "r2", Text: "Hello r2"},
			}
			want := []struct {
				changed bool
				err     error
			}{{true, nil}, {false, store.ErrNotFound}, {false, store.ErrInvalid}, {false, store.ErrInvalid},
				{true, nil}, {false, nil}, {false, store.ErrNotFound}, {false, nil}}
			got := s.SetShownAll(ctx, reports)
			if len(got) != len(reports) {
				t.Fatalf("%d results for %d reports", len(got), len(reports))
			}
			for i, r := range got {
				if r.Changed != want[i].changed || !errors.Is(r.Err, want[i].err) || (want[i].err == nil) != (r.Err == nil) {
					t.Fatalf("report %d %+v: changed %v err %v, want %v %v", i, reports[i], r.Changed, r.Err, want[i].changed, want[i].err)
				}
				if r.Changed && (r.Message.ID != reports[i].ID || r.Message.ConversationID != "c1" || r.Message.Shown != reports[i].Text ||
					r.Message.Text != "Hello "+reports[i].ID || r.Message.Role != chat.RoleBot) {
					t.Fatalf("report %d: message %+v", i, r.Message)
				}
			}
			texts, err := s.MessageTexts(ctx, "demo", "c1")
			if err != nil || texts["r1"].Shown != "Hello r1 + promo" || texts["r2"].Shown != "" {
				t.Fatalf("texts %+v %v", texts, err)
			}
			if got := s.SetShownAll(ctx, nil); len(got) != 0 {
				t.Fatalf("no reports: %v", got)
			}
		})
	}
}
