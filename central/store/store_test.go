package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/internal/pgtest"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

type opener func(t *testing.T) store.Store

func openers() map[string]opener {
	return map[string]opener{
		"sqlite": func(t *testing.T) store.Store {
			s, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "kefu.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		"postgres": func(t *testing.T) store.Store {
			s, err := store.OpenPostgres(context.Background(), pgtest.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
}

// TestContract runs the same suite against every implementation.
func TestContract(t *testing.T) {
	for name, open := range openers() {
		t.Run(name, func(t *testing.T) {
			for _, c := range contract {
				t.Run(c.name, func(t *testing.T) { c.f(t, open(t)) })
			}
		})
	}
}

var contract = []struct {
	name string
	f    func(t *testing.T, s store.Store)
}{
	{"tenants", testTenants},
	{"channels", testChannels},
	{"agents", testAgents},
	{"sessions", testSessions},
	{"inbound idempotent", testInboundIdempotent},
	{"inbound updates the conversation", testInboundUpdatesConversation},
	{"conversation by visitor", testConversationByVisitor},
	{"visitor mismatch", testVisitorMismatch},
	{"bad input", testBadInput},
	{"replies and bot failures", testReplies},
	{"reply with a miss", testReplyMiss},
	{"inbound with its reply", testInboundReply},
	{"messages after", testMessagesAfter},
	{"handoff claim close", testHandoffClaimClose},
	{"tenant isolation", testTenantIsolation},
	{"queue order", testQueueOrder},
	{"concurrent claim", testConcurrentClaim},
	{"concurrent claim next", testConcurrentClaimNext},
	{"concurrent inbound same id", testConcurrentInboundSameID},
	{"erasure request once", testErasureRequest},
	{"erase tombstones and pseudonymises", testErase},
	{"pii tokens", testPIITokens},
	{"analytics", testAnalytics},
	{"alerts", testAlerts},
	{"proactive", testProactive},
	{"series", testSeries},
	{"rollups", testRollups},
	{"rollups, concurrent writers", testRollupsConcurrent},
	{"bulk load", testBulkLoad},
	{"aggregate series", testAggregateSeries},
}

var ctx = context.Background()

func msg(id, conv, text string) chat.Message {
	return chat.Message{ID: id, ConversationID: conv, Role: chat.RoleShopper, Text: text, Lang: "en", At: time.UnixMilli(1_700_000_000_000)}
}

func inbound(tenant, visitor string, m chat.Message) store.Inbound {
	return store.Inbound{Tenant: tenant, Visitor: visitor, Channel: chat.ChannelWeb, Region: "eu", Message: m}
}

func mustInbound(t *testing.T, s store.Store, in store.Inbound) store.Conversation {
	t.Helper()
	c, _, stored, err := s.SaveInbound(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if !stored {
		t.Fatalf("message %q not stored", in.Message.ID)
	}
	return c
}

func testTenants(t *testing.T, s store.Store) {
	if _, err := s.Tenant(ctx, "demo"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing tenant: %v", err)
	}
	if err := s.PutTenant(ctx, store.Tenant{ID: "demo", Name: "Demo", SLA: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutTenant(ctx, store.Tenant{ID: "demo", Name: "Demo shop", SLA: 2 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Tenant(ctx, "demo")
	if err != nil || got.Name != "Demo shop" || got.SLA != 2*time.Minute {
		t.Fatalf("got %+v %v", got, err)
	}
	if err := s.PutTenant(ctx, store.Tenant{}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("empty id: %v", err)
	}
}

func testAgents(t *testing.T, s store.Store) {
	a, err := s.PutAgent(ctx, store.Agent{Tenant: "demo", Email: " Ann@Example.com", Name: "Ann", PasswordHash: "h1"})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == "" || a.Email != "ann@example.com" {
		t.Fatalf("agent %+v", a)
	}
	b, err := s.PutAgent(ctx, store.Agent{Tenant: "demo", Email: "ann@example.com", Name: "Ann B", PasswordHash: "h2"})
	if err != nil {
		t.Fatal(err)
	}
	if b.ID != a.ID || b.PasswordHash != "h2" || b.Name != "Ann B" {
		t.Fatalf("update kept id? %+v vs %+v", b, a)
	}
	got, err := s.AgentByEmail(ctx, "demo", "ANN@example.com")
	if err != nil || got.ID != a.ID {
		t.Fatalf("by email: %+v %v", got, err)
	}
	if _, err := s.AgentByEmail(ctx, "other", "ann@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other tenant: %v", err)
	}
	if _, err := s.Agent(ctx, "demo", a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Agent(ctx, "other", a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other tenant by id: %v", err)
	}
	if _, err := s.PutAgent(ctx, store.Agent{Tenant: "demo"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("no email: %v", err)
	}
}

func testSessions(t *testing.T, s store.Store) {
	now := time.Now()
	if err := s.PutSession(ctx, store.Session{TokenHash: "h", Tenant: "demo", AgentID: "a", Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Session(ctx, "h", now)
	if err != nil || got.AgentID != "a" || got.Tenant != "demo" {
		t.Fatalf("session %+v %v", got, err)
	}
	if _, err := s.Session(ctx, "h", now.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired: %v", err)
	}
	if err := s.DeleteSession(ctx, "h"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, "h", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted: %v", err)
	}
	if err := s.PutSession(ctx, store.Session{}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("empty: %v", err)
	}
}

func testInboundIdempotent(t *testing.T, s store.Store) {
	in := inbound("demo", "v1", msg("m1", "c1", "where is my order"))
	in.VIP = true
	c, created, stored, err := s.SaveInbound(ctx, in)
	if err != nil || !created || !stored {
		t.Fatalf("first: %v created=%v stored=%v", err, created, stored)
	}
	if c.ID != "c1" || c.Status != store.StatusBot || !c.VIP || c.LastText != "where is my order" || c.Region != "eu" {
		t.Fatalf("conversation %+v", c)
	}
	for i := 0; i < 3; i++ {
		c2, created, stored, err := s.SaveInbound(ctx, in)
		if err != nil || created || stored {
			t.Fatalf("again: %v created=%v stored=%v", err, created, stored)
		}
		if c2.ID != c.ID {
			t.Fatalf("other conversation %q", c2.ID)
		}
	}
	ms, err := s.Messages(ctx, "demo", "c1", "", 0)
	if err != nil || len(ms) != 1 {
		t.Fatalf("messages %v %v", ms, err)
	}
	if ms[0].ConversationID != "c1" || ms[0].Text != "where is my order" || ms[0].Role != chat.RoleShopper || !ms[0].At.Equal(time.UnixMilli(1_700_000_000_000)) {
		t.Fatalf("message %+v", ms[0])
	}
}

func testConversationByVisitor(t *testing.T, s store.Store) {
	c1 := mustInbound(t, s, inbound("demo", "v1", msg("a1", "", "hello")))
	if !chat.ValidID(c1.ID) {
		t.Fatalf("id %q", c1.ID)
	}
	// Same visitor, no conversation id: the open conversation is reused.
	c2 := mustInbound(t, s, inbound("demo", "v1", msg("a2", "", "again")))
	if c2.ID != c1.ID {
		t.Fatalf("new conversation %q, want %q", c2.ID, c1.ID)
	}
	// A redelivery without a conversation id finds the stored one.
	c3, _, stored, err := s.SaveInbound(ctx, inbound("demo", "v1", msg("a1", "", "hello")))
	if err != nil || stored || c3.ID != c1.ID {
		t.Fatalf("redelivery: %v %v %q", err, stored, c3.ID)
	}
	// After close, a message with the same id reopens it with the bot.
	if _, err := s.CloseConversation(ctx, "demo", c1.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	c4 := mustInbound(t, s, inbound("demo", "v1", msg("a3", c1.ID, "back")))
	if c4.Status != store.StatusBot || c4.ID != c1.ID {
		t.Fatalf("reopen: %+v", c4)
	}
	// Another visitor gets another conversation.
	c5 := mustInbound(t, s, inbound("demo", "v2", msg("a4", "", "hi")))
	if c5.ID == c1.ID {
		t.Fatal("visitors share a conversation")
	}
}

func testVisitorMismatch(t *testing.T, s store.Store) {
	mustInbound(t, s, inbound("demo", "v1", msg("b1", "cv", "mine")))
	_, _, _, err := s.SaveInbound(ctx, inbound("demo", "intruder", msg("b2", "cv", "let me in")))
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("got %v", err)
	}
	ms, _ := s.Messages(ctx, "demo", "cv", "", 0)
	if len(ms) != 1 {
		t.Fatalf("intruder stored: %v", ms)
	}
}

func testBadInput(t *testing.T, s store.Store) {
	tests := []store.Inbound{
		inbound("", "v", msg("x1", "", "t")),
		inbound("demo", "", msg("x2", "", "t")),
		inbound("demo", "v", msg("", "", "t")),
		inbound("demo", "v", msg("bad id", "", "t")),
		inbound("demo", "v", msg("x3", "", "")),
		inbound("demo", "v", msg("x4", "", "\xff")),
	}
	for i, in := range tests {
		if _, _, _, err := s.SaveInbound(ctx, in); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%d: got %v", i, err)
		}
	}
	if _, _, err := s.SaveReply(ctx, "demo", chat.Message{ID: "r", Text: "x"}, false); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("reply without conversation: %v", err)
	}
	if _, _, err := s.SaveReply(ctx, "demo", chat.Message{ID: "r", ConversationID: "nope", Text: "x"}, false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("reply to unknown conversation: %v", err)
	}
	if _, err := s.Conversations(ctx, "demo", store.Filter{Status: "weird"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad status: %v", err)
	}
}

// testReplyMiss: SaveReplyMiss keeps the miss once, with the reply; a
// redelivered reply adds no second miss; a miss without text is refused
// and stores nothing.
func testReplyMiss(t *testing.T, s store.Store) {
	c := mustInbound(t, s, inbound("demo", "vm", msg("m1", "c", "where is the moon")))
	at := time.Now().Add(-time.Second)
	miss := store.Miss{Tenant: "demo", ConversationID: c.ID, Text: "where is the moon", Lang: "en", Reason: "fallback", Score: 0.1, At: at}
	reply := chat.Message{ID: "rm1", ConversationID: c.ID, Role: chat.RoleBot, Text: "sorry", Source: chat.SourceCentral}
	for i, wantStored := range []bool{true, false} {
		got, stored, err := s.SaveReplyMiss(ctx, "demo", reply, true, miss)
		if err != nil || stored != wantStored || got.BotFailures != 1 {
			t.Fatalf("save %d: %v %v %+v", i, err, stored, got)
		}
	}
	bad := miss
	bad.Text = ""
	if _, _, err := s.SaveReplyMiss(ctx, "demo", chat.Message{ID: "rm2", ConversationID: c.ID, Role: chat.RoleBot, Text: "x"}, true, bad); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("miss without text: %v", err)
	}
	if _, err := s.Message(ctx, "demo", "rm2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("reply of the refused miss: %v", err)
	}
	misses, err := s.Misses(ctx, "demo", at.Add(-time.Minute), 0)
	if err != nil || len(misses) != 1 || misses[0].Text != miss.Text || misses[0].Reason != "fallback" {
		t.Fatalf("misses %+v %v", misses, err)
	}
}

func testReplies(t *testing.T, s store.Store) {
	c := mustInbound(t, s, inbound("demo", "v1", msg("s1", "c", "q")))
	bot := func(id string, failed bool) store.Conversation {
		t.Helper()
		c, stored, err := s.SaveReply(ctx, "demo", chat.Message{ID: id, ConversationID: c.ID, Role: chat.RoleBot, Text: "a " + id, Source: chat.SourceCentral}, failed)
		if err != nil || !stored {
			t.Fatalf("reply %s: %v %v", id, err, stored)
		}
		return c
	}
	if got := bot("r1", true); got.BotFailures != 1 {
		t.Fatalf("failures %d", got.BotFailures)
	}
	// A redelivered failing reply does not count twice.
	got, stored, err := s.SaveReply(ctx, "demo", chat.Message{ID: "r1", ConversationID: c.ID, Role: chat.RoleBot, Text: "a r1"}, true)
	if err != nil || stored || got.BotFailures != 1 {
		t.Fatalf("redelivered reply: %v %v %d", err, stored, got.BotFailures)
	}
	if got := bot("r2", true); got.BotFailures != 2 {
		t.Fatalf("failures %d", got.BotFailures)
	}
	if got := bot("r3", false); got.BotFailures != 0 || got.LastText != "a r3" {
		t.Fatalf("reset: %+v", got)
	}
	m, err := s.Message(ctx, "demo", "r3")
	if err != nil || m.Role != chat.RoleBot || m.Source != chat.SourceCentral {
		t.Fatalf("message %+v %v", m, err)
	}
	if _, err := s.Message(ctx, "other", "r3"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other tenant message: %v", err)
	}
}

func testMessagesAfter(t *testing.T, s store.Store) {
	// Ids that do not sort in insertion order: order must follow insertion.
	ids := []string{"zz", "aa", "mm", "bb"}
	for _, id := range ids {
		mustInbound(t, s, inbound("demo", "v1", msg(id, "c", "text "+id)))
	}
	all, err := s.Messages(ctx, "demo", "c", "", 0)
	if err != nil || len(all) != 4 {
		t.Fatalf("%v %v", all, err)
	}
	for i, m := range all {
		if m.ID != ids[i] {
			t.Fatalf("order: %d is %q", i, m.ID)
		}
	}
	after, err := s.Messages(ctx, "demo", "c", "aa", 0)
	if err != nil || len(after) != 2 || after[0].ID != "mm" {
		t.Fatalf("after: %v %v", after, err)
	}
	lim, err := s.Messages(ctx, "demo", "c", "", 2)
	if err != nil || len(lim) != 2 {
		t.Fatalf("limit: %v %v", lim, err)
	}
	if _, err := s.Messages(ctx, "demo", "c", "unknown", 0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown after: %v", err)
	}
}

// testInboundUpdatesConversation: SaveInbound sets only the columns that
// change; the conversation it returns is the stored one, step by step.
func testInboundUpdatesConversation(t *testing.T, s store.Store) {
	now := time.UnixMilli(1_700_000_100_000)
	steps := []struct {
		name string
		in   func(m chat.Message) store.Inbound
		prep func(c store.Conversation)
		want func(c store.Conversation) bool
	}{
		{"first", func(m chat.Message) store.Inbound { return inbound("demo", "vu", m) }, nil,
			func(c store.Conversation) bool {
				return c.Status == store.StatusBot && c.Lang == "en" && c.Region == "eu" && !c.VIP
			}},
		{"same values", func(m chat.Message) store.Inbound { return inbound("demo", "vu", m) }, nil,
			func(c store.Conversation) bool { return c.LastText == "same values" && c.Anger == 0 }},
		{"lang, region, channel, anger, vip", func(m chat.Message) store.Inbound {
			m.Lang, m.Anger = "de", 0.75
			in := inbound("demo", "vu", m)
			in.Region, in.Channel, in.VIP = "us", chat.ChannelEmail, true
			return in
		}, nil, func(c store.Conversation) bool {
			return c.Lang == "de" && c.Region == "us" && c.Channel == chat.ChannelEmail && c.Anger == 0.75 && c.VIP
		}},
		{"no lang, region or channel keeps them; vip stays", func(m chat.Message) store.Inbound {
			m.Lang = ""
			in := inbound("demo", "vu", m)
			in.Region, in.Channel = "", ""
			return in
		}, nil, func(c store.Conversation) bool {
			return c.Lang == "de" && c.Region == "us" && c.Channel == chat.ChannelEmail && c.Anger == 0 && c.VIP
		}},
		{"closed conversation reopened", func(m chat.Message) store.Inbound { return inbound("demo", "vu", m) },
			func(c store.Conversation) {
				if _, _, err := s.Handoff(ctx, "demo", c.ID, 10, "asked", now); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Claim(ctx, "demo", c.ID, "ann", now); err != nil {
					t.Fatal(err)
				}
				if _, err := s.CloseConversation(ctx, "demo", c.ID, now); err != nil {
					t.Fatal(err)
				}
			}, func(c store.Conversation) bool {
				return c.Status == store.StatusBot && c.Agent == "" && c.Reason == "" && c.BotFailures == 0 && c.Lang == "en"
			}},
	}
	var c store.Conversation
	for i, st := range steps {
		if st.prep != nil {
			st.prep(c)
		}
		m := msg(fmt.Sprintf("u%d", i), c.ID, st.name)
		got := mustInbound(t, s, st.in(m))
		stored, err := s.Conversation(ctx, "demo", got.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != stored.Status || got.Agent != stored.Agent || got.Reason != stored.Reason || got.BotFailures != stored.BotFailures ||
			got.Lang != stored.Lang || got.Region != stored.Region || got.Channel != stored.Channel || got.Anger != stored.Anger ||
			got.VIP != stored.VIP || got.LastText != stored.LastText || !got.UpdatedAt.Equal(stored.UpdatedAt) {
			t.Fatalf("%s: returned %+v, stored %+v", st.name, got, stored)
		}
		if !st.want(stored) || stored.LastText != st.name {
			t.Fatalf("%s: stored %+v", st.name, stored)
		}
		c = stored
	}
}

func testHandoffClaimClose(t *testing.T, s store.Store) {
	now := time.UnixMilli(1_700_000_100_000)
	c := mustInbound(t, s, inbound("demo", "v1", msg("h1", "c", "human please")))
	got, changed, err := s.Handoff(ctx, "demo", c.ID, 40, "asked", now)
	if err != nil || !changed || got.Status != store.StatusQueued || got.Priority != 40 || got.Reason != "asked" || !got.QueuedAt.Equal(now) {
		t.Fatalf("handoff %+v %v %v", got, changed, err)
	}
	got, changed, err = s.Handoff(ctx, "demo", c.ID, 60, "angry", now)
	if err != nil || changed || got.Priority != 60 || got.Reason != "asked" {
		t.Fatalf("second handoff %+v %v %v", got, changed, err)
	}
	if n, _ := s.QueueDepth(ctx, "demo"); n != 1 {
		t.Fatalf("depth %d", n)
	}
	if err := s.SetPriority(ctx, "demo", c.ID, 70); err != nil {
		t.Fatal(err)
	}
	got, err = s.Claim(ctx, "demo", c.ID, "ann", now)
	if err != nil || got.Status != store.StatusAssigned || got.Agent != "ann" || got.Priority != 70 {
		t.Fatalf("claim %+v %v", got, err)
	}
	if _, err := s.Claim(ctx, "demo", c.ID, "ann", now); err != nil {
		t.Fatalf("reclaim by owner: %v", err)
	}
	if _, err := s.Claim(ctx, "demo", c.ID, "bob", now); !errors.Is(err, store.ErrTaken) {
		t.Fatalf("claim by other: %v", err)
	}
	if n, _ := s.QueueDepth(ctx, ""); n != 0 {
		t.Fatalf("depth %d", n)
	}
	// Handoff of an assigned conversation changes nothing.
	if got, changed, err := s.Handoff(ctx, "demo", c.ID, 99, "again", now); err != nil || changed || got.Status != store.StatusAssigned {
		t.Fatalf("handoff assigned: %+v %v %v", got, changed, err)
	}
	got, err = s.CloseConversation(ctx, "demo", c.ID, now)
	if err != nil || got.Status != store.StatusClosed {
		t.Fatalf("close %+v %v", got, err)
	}
	if _, err := s.CloseConversation(ctx, "demo", c.ID, now); err != nil {
		t.Fatalf("close twice: %v", err)
	}
	if _, err := s.Claim(ctx, "demo", c.ID, "ann", now); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("claim closed: %v", err)
	}
	if _, _, err := s.Handoff(ctx, "demo", c.ID, 1, "x", now); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("handoff closed: %v", err)
	}
	if _, err := s.Claim(ctx, "demo", "nope", "ann", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("claim unknown: %v", err)
	}
	if _, err := s.CloseConversation(ctx, "demo", "nope", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("close unknown: %v", err)
	}
	if err := s.SetPriority(ctx, "demo", "nope", 1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("priority unknown: %v", err)
	}
	closed, err := s.Conversations(ctx, "demo", store.Filter{Status: store.StatusClosed})
	if err != nil || len(closed) != 1 {
		t.Fatalf("closed list %v %v", closed, err)
	}
	open, err := s.Conversations(ctx, "demo", store.Filter{})
	if err != nil || len(open) != 0 {
		t.Fatalf("open list %v %v", open, err)
	}
}

func testTenantIsolation(t *testing.T, s store.Store) {
	now := time.Now()
	c := mustInbound(t, s, inbound("shop-a", "v1", msg("same-id", "conv", "a")))
	// The same ids in another tenant are another message and conversation.
	c2 := mustInbound(t, s, inbound("shop-b", "v9", msg("same-id", "conv", "b")))
	if c2.Visitor != "v9" {
		t.Fatalf("tenants share a conversation: %+v", c2)
	}
	if _, _, err := s.Handoff(ctx, "shop-a", c.ID, 1, "x", now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Claim(ctx, "shop-b", c.ID, "bob", now); err != nil {
		t.Fatalf("claim own conversation of b: %v", err)
	}
	got, err := s.Conversation(ctx, "shop-a", c.ID)
	if err != nil || got.Status != store.StatusQueued {
		t.Fatalf("a's conversation changed by b: %+v %v", got, err)
	}
	if _, err := s.ClaimNext(ctx, "shop-c", "carl", now); !errors.Is(err, store.ErrEmpty) {
		t.Fatalf("c claimed a's queue: %v", err)
	}
	list, _ := s.Conversations(ctx, "shop-b", store.Filter{})
	for _, x := range list {
		if x.Tenant != "shop-b" {
			t.Fatalf("b sees %+v", x)
		}
	}
	ms, _ := s.Messages(ctx, "shop-b", "conv", "", 0)
	if len(ms) != 1 || ms[0].Text != "b" {
		t.Fatalf("b's messages %v", ms)
	}
}

func testQueueOrder(t *testing.T, s store.Store) {
	base := time.UnixMilli(1_700_000_000_000)
	prio := []int{10, 50, 50, 30}
	for i, p := range prio {
		id := fmt.Sprintf("q%d", i)
		mustInbound(t, s, inbound("demo", "v"+id, msg("m"+id, id, "x")))
		if _, _, err := s.Handoff(ctx, "demo", id, p, "r", base.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"q1", "q2", "q3", "q0"}
	list, err := s.Conversations(ctx, "demo", store.Filter{Status: store.StatusQueued})
	if err != nil || len(list) != 4 {
		t.Fatalf("%v %v", list, err)
	}
	for i, c := range list {
		if c.ID != want[i] {
			t.Fatalf("list order %d: %q want %q", i, c.ID, want[i])
		}
	}
	for _, w := range want {
		c, err := s.ClaimNext(ctx, "demo", "ann", base)
		if err != nil || c.ID != w || c.Agent != "ann" {
			t.Fatalf("claim next: %+v %v want %q", c, err, w)
		}
	}
	if _, err := s.ClaimNext(ctx, "demo", "ann", base); !errors.Is(err, store.ErrEmpty) {
		t.Fatalf("empty: %v", err)
	}
}

// testConcurrentClaim: many agents claim one conversation at once; exactly one wins.
func testConcurrentClaim(t *testing.T, s store.Store) {
	c := mustInbound(t, s, inbound("demo", "v1", msg("cc", "race", "x")))
	if _, _, err := s.Handoff(ctx, "demo", c.ID, 1, "r", time.Now()); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners, taken := []string{}, 0
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			agent := fmt.Sprintf("agent%d", i)
			got, err := s.Claim(ctx, "demo", c.ID, agent, time.Now())
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				if got.Agent != agent {
					t.Errorf("claim returned agent %q for %q", got.Agent, agent)
				}
				winners = append(winners, agent)
			case errors.Is(err, store.ErrTaken):
				taken++
			default:
				t.Errorf("claim: %v", err)
			}
		}()
	}
	wg.Wait()
	if len(winners) != 1 || taken != n-1 {
		t.Fatalf("winners %v, taken %d", winners, taken)
	}
	got, _ := s.Conversation(ctx, "demo", c.ID)
	if got.Agent != winners[0] {
		t.Fatalf("stored agent %q, winner %q", got.Agent, winners[0])
	}
}

// testConcurrentClaimNext: agents drain a queue concurrently; every
// conversation is given to exactly one agent.
func testConcurrentClaimNext(t *testing.T, s store.Store) {
	const convs, agents = 12, 4
	for i := range convs {
		id := fmt.Sprintf("n%d", i)
		mustInbound(t, s, inbound("demo", "v"+id, msg("m"+id, id, "x")))
		if _, _, err := s.Handoff(ctx, "demo", id, i%3, "r", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	got := drainQueue(t, []store.Store{s}, agents)
	if len(got) != convs {
		t.Fatalf("claimed %d of %d", len(got), convs)
	}
	list, _ := s.Conversations(ctx, "demo", store.Filter{Status: store.StatusAssigned})
	for _, c := range list {
		if got[c.ID] != c.Agent {
			t.Fatalf("%s stored for %q, claimed by %q", c.ID, c.Agent, got[c.ID])
		}
	}
}

// testConcurrentInboundSameID: the same message saved by several replicas at
// once is stored once.
func testConcurrentInboundSameID(t *testing.T, s store.Store) {
	const n = 6
	var wg sync.WaitGroup
	var mu sync.Mutex
	stored := 0
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, ok, err := s.SaveInbound(ctx, inbound("demo", "v1", msg("dup", "dc", "once")))
			if err != nil {
				t.Errorf("save: %v", err)
				return
			}
			if ok {
				mu.Lock()
				stored++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	ms, _ := s.Messages(ctx, "demo", "dc", "", 0)
	if stored != 1 || len(ms) != 1 {
		t.Fatalf("stored %d times, %d rows", stored, len(ms))
	}
}

func testErasureRequest(t *testing.T, s store.Store) {
	at := time.UnixMilli(1_700_000_100_000).UTC()
	r1 := store.ErasureRequest{ID: "g1", Tenant: "t1", Visitor: "v1", ConversationID: "c1", MessageID: "m1", RequestedAt: at}
	got, created, err := s.RequestErasure(ctx, r1)
	if err != nil || !created || got.ID != "g1" || got.Status != store.ErasureRequested || got.Visitor != "v1" ||
		got.ConversationID != "c1" || got.MessageID != "m1" || !got.RequestedAt.Equal(at) || !got.CompletedAt.IsZero() {
		t.Fatalf("first request: %+v %v %v", got, created, err)
	}
	// Redelivered: the same id again changes nothing.
	if again, created, err := s.RequestErasure(ctx, r1); err != nil || created || again != got {
		t.Fatalf("same id again: %+v %v %v", again, created, err)
	}
	// The visitor asks again: the open request stands.
	r2 := store.ErasureRequest{ID: "g2", Tenant: "t1", Visitor: "v1", MessageID: "m2", RequestedAt: at.Add(time.Minute)}
	if open, created, err := s.RequestErasure(ctx, r2); err != nil || created || open.ID != "g1" {
		t.Fatalf("second ask: %+v %v %v", open, created, err)
	}
	// Other visitors and tenants have their own.
	for _, r := range []store.ErasureRequest{{ID: "g3", Tenant: "t1", Visitor: "v2"}, {ID: "g1", Tenant: "t2", Visitor: "v1"}} {
		if _, created, err := s.RequestErasure(ctx, r); err != nil || !created {
			t.Fatalf("request %+v: %v %v", r, created, err)
		}
	}
	if open, err := s.OpenErasure(ctx, "t1", "v1"); err != nil || open.ID != "g1" {
		t.Fatalf("open: %+v %v", open, err)
	}
	if _, err := s.OpenErasure(ctx, "t1", "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("open of nobody: %v", err)
	}
	if e, err := s.Erasure(ctx, "t2", "g1"); err != nil || e.Tenant != "t2" || e.Visitor != "v1" {
		t.Fatalf("t2 request: %+v %v", e, err)
	}
	if _, err := s.Erasure(ctx, "t3", "g1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other tenant: %v", err)
	}
	list, err := s.Erasures(ctx, "t1", store.ErasureRequested, 0)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %+v %v", list, err)
	}
	if list, err := s.Erasures(ctx, "t1", store.ErasureCompleted, 0); err != nil || len(list) != 0 {
		t.Fatalf("completed list: %+v %v", list, err)
	}
	if _, err := s.Erasures(ctx, "t1", "bogus", 0); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("bad status: %v", err)
	}
	for _, bad := range []store.ErasureRequest{{ID: "g9", Visitor: "v"}, {ID: "g9", Tenant: "t"}, {Tenant: "t", Visitor: "v"}, {ID: "a b", Tenant: "t", Visitor: "v"}} {
		if _, _, err := s.RequestErasure(ctx, bad); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("bad request %+v: %v", bad, err)
		}
	}
}

func testErase(t *testing.T, s store.Store) {
	// v1 of t1: a closed conversation and an open one with a reply; v2 of t1
	// and v1 of t2 must stay untouched.
	m1 := msg("m1", "", "my phone is [PHONE]")
	m1.PII = []chat.PIIToken{{Type: "PHONE", Token: "pii_erase1", Region: "eu"}}
	old := mustInbound(t, s, inbound("t1", "v1", m1))
	if _, err := s.CloseConversation(ctx, "t1", old.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	cur := mustInbound(t, s, inbound("t1", "v1", msg("m2", "", "delete my data")))
	if cur.ID == old.ID {
		t.Fatal("closed conversation reused")
	}
	if _, _, err := s.SaveReply(ctx, "t1", chat.Message{ID: "r2", ConversationID: cur.ID, Role: chat.RoleBot, Text: "noted, Ann"}, false); err != nil {
		t.Fatal(err)
	}
	other := mustInbound(t, s, inbound("t1", "v2", msg("m3", "", "hello from v2")))
	foreign := mustInbound(t, s, inbound("t2", "v1", msg("m1", "", "hello from t2")))

	req, _, err := s.RequestErasure(ctx, store.ErasureRequest{ID: "g1", Tenant: "t1", Visitor: "v1", ConversationID: cur.ID, MessageID: "m2"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Erase(ctx, "t2", req.ID, "a1", "erased-x", time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("erase from another tenant: %v", err)
	}
	if _, _, err := s.Erase(ctx, "t1", "nope", "a1", "erased-x", time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("erase unknown: %v", err)
	}
	if _, _, err := s.Erase(ctx, "t1", req.ID, "", "erased-x", time.Now()); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("erase without agent: %v", err)
	}
	now := time.UnixMilli(1_700_000_200_000).UTC()
	done, ok, err := s.Erase(ctx, "t1", req.ID, "a1", "erased-x", now)
	if err != nil || !ok {
		t.Fatalf("erase: %+v %v %v", done, ok, err)
	}
	if done.Status != store.ErasureCompleted || done.Agent != "a1" || !done.CompletedAt.Equal(now) || done.Visitor != "erased-x" ||
		done.Conversations != 2 || done.Messages != 3 || done.MessageID != "m2" {
		t.Fatalf("completed request: %+v", done)
	}
	for _, id := range []string{old.ID, cur.ID} {
		c, err := s.Conversation(ctx, "t1", id)
		if err != nil || c.Visitor != "erased-x" || c.Status != store.StatusClosed || c.LastText != store.ErasedText {
			t.Fatalf("erased conversation: %+v %v", c, err)
		}
		msgs, err := s.Messages(ctx, "t1", id, "", 0)
		if err != nil || len(msgs) == 0 {
			t.Fatalf("messages: %v %v", msgs, err)
		}
		for _, m := range msgs {
			if m.Text != store.ErasedText || m.PII != nil {
				t.Fatalf("message %q kept its text %q or vault tokens %v", m.ID, m.Text, m.PII)
			}
		}
	}
	if m, err := s.Message(ctx, "t1", "m3"); err != nil || m.Text != "hello from v2" {
		t.Fatalf("another visitor's message: %+v %v", m, err)
	}
	if c, _ := s.Conversation(ctx, "t1", other.ID); c.Visitor != "v2" || c.Status == store.StatusClosed {
		t.Fatalf("another visitor's conversation: %+v", c)
	}
	if m, err := s.Message(ctx, "t2", "m1"); err != nil || m.Text != "hello from t2" {
		t.Fatalf("another tenant's message: %+v %v", m, err)
	}
	if c, _ := s.Conversation(ctx, "t2", foreign.ID); c.Visitor != "v1" {
		t.Fatalf("another tenant's conversation: %+v", c)
	}
	// Done twice: nothing changes.
	if again, ok, err := s.Erase(ctx, "t1", req.ID, "a2", "erased-y", now.Add(time.Hour)); err != nil || ok || again != done {
		t.Fatalf("erase again: %+v %v %v", again, ok, err)
	}
	if list, err := s.Erasures(ctx, "t1", store.ErasureCompleted, 0); err != nil || len(list) != 1 || list[0] != done {
		t.Fatalf("audit list: %+v %v", list, err)
	}
	// A redelivered message is still recognised; the visitor starts afresh.
	if c, _, stored, err := s.SaveInbound(ctx, inbound("t1", "v1", msg("m2", "", "delete my data"))); err != nil || stored || c.ID != cur.ID {
		t.Fatalf("redelivery after erasure: %+v %v %v", c, stored, err)
	}
	if m, _ := s.Message(ctx, "t1", "m2"); m.Text != store.ErasedText {
		t.Fatalf("redelivery restored the text: %q", m.Text)
	}
	fresh := mustInbound(t, s, inbound("t1", "v1", msg("m4", "", "hi again")))
	if fresh.ID == cur.ID || fresh.ID == old.ID {
		t.Fatalf("new message joined an erased conversation %q", fresh.ID)
	}
	if _, created, err := s.RequestErasure(ctx, store.ErasureRequest{ID: "g2", Tenant: "t1", Visitor: "v1"}); err != nil || !created {
		t.Fatalf("new request after completion: %v %v", created, err)
	}
}

// drainQueue has agentsPer agents on each of stores claim from the demo
// queue concurrently until it is empty, and returns who got each
// conversation; a conversation given twice fails the test.
func drainQueue(t *testing.T, stores []store.Store, agentsPer int) map[string]string {
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[string]string{}
	for i, r := range stores {
		for a := range agentsPer {
			wg.Add(1)
			go func() {
				defer wg.Done()
				agent := fmt.Sprintf("agent-%d-%d", i, a)
				for {
					c, err := r.ClaimNext(ctx, "demo", agent, time.Now())
					if errors.Is(err, store.ErrEmpty) {
						return
					}
					if err != nil {
						t.Errorf("claim next: %v", err)
						return
					}
					mu.Lock()
					if prev, dup := got[c.ID]; dup {
						t.Errorf("%s given to %s and %s", c.ID, prev, agent)
					}
					got[c.ID] = agent
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	return got
}

// testPIITokens: the vault tokens of a shopper message are kept with it, in
// order, returned by Message and Messages of its tenant only; a redelivery
// does not change them; messages without any return nil.
func testPIITokens(t *testing.T, s store.Store) {
	toks := []chat.PIIToken{
		{Type: "PHONE", Token: "pii_aaaaaaaaaaaaaaaaaaaaaaaa", Region: "eu"},
		{Type: "EMAIL", Token: "pii_bbbbbbbbbbbbbbbbbbbbbbbb", Region: "eu"},
		{Type: "PHONE", Token: "pii_cccccccccccccccccccccccc", Region: "eu"},
	}
	m := msg("p1", "pc", "call [PHONE] or [EMAIL], else [PHONE]")
	m.PII = toks
	mustInbound(t, s, inbound("shop-a", "v1", m))
	mustInbound(t, s, inbound("shop-a", "v1", msg("p2", "pc", "no personal data")))
	// The same ids in another tenant, without tokens.
	mustInbound(t, s, inbound("shop-b", "v1", msg("p1", "pc", "call [PHONE]")))
	again := m
	again.PII = toks[:1]
	if _, _, stored, err := s.SaveInbound(ctx, inbound("shop-a", "v1", again)); err != nil || stored {
		t.Fatalf("redelivery: stored=%v %v", stored, err)
	}
	got, err := s.Message(ctx, "shop-a", "p1")
	if err != nil || !slices.Equal(got.PII, toks) {
		t.Fatalf("Message: %+v %v", got.PII, err)
	}
	list, err := s.Messages(ctx, "shop-a", "pc", "", 0)
	if err != nil || len(list) != 2 || !slices.Equal(list[0].PII, toks) || list[1].PII != nil {
		t.Fatalf("Messages: %+v %v", list, err)
	}
	if m, err := s.Message(ctx, "shop-b", "p1"); err != nil || m.PII != nil {
		t.Fatalf("another tenant's message with the same id: %+v %v", m.PII, err)
	}
	if _, _, err := s.SaveReply(ctx, "shop-a", chat.Message{ID: "p3", ConversationID: "pc", Role: chat.RoleBot, Text: "ok"}, false); err != nil {
		t.Fatal(err)
	}
	if m, err := s.Message(ctx, "shop-a", "p3"); err != nil || m.PII != nil {
		t.Fatalf("reply: %+v %v", m.PII, err)
	}
}
