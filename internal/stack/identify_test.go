package stack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kefu-io/kefu/central/admin"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

// TestIdentify: a verified shopper (hello identity, as identify() sends it)
// on two devices shares one conversation; a wrong hash is refused and the
// shopper stays anonymous; an anonymous visitor who identifies is merged
// into the contact with every message kept.
func TestIdentify(t *testing.T) {
	t.Parallel()
	s, err := Start(t.Context(), Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), PluginCache: testPluginCache(), Logger: quietLogger()})
	must(t, err)
	defer s.Close()
	st, err := store.OpenSQLite(t.Context(), s.DBPath)
	must(t, err)
	defer st.Close()
	adm := admin.New(st, 4)
	nt, err := adm.CreateTenant(t.Context(), "cli", "acme", "")
	must(t, err)
	_, err = adm.AddSite(t.Context(), "cli", "acme", "acme-shop", "", []string{"https://shop.acme.example"})
	must(t, err)
	poll.Until(t, 10*time.Second, func() error {
		if code, _ := get(t, s.URL+"/w/config?site=acme-shop", ""); code != 200 {
			return fmt.Errorf("site not served yet: %d", code)
		}
		return nil
	})
	hash := func(id string) string {
		m := hmac.New(sha256.New, []byte(nt.IdentitySecret))
		m.Write([]byte(id))
		return hex.EncodeToString(m.Sum(nil))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	dial := func() *wsClient {
		c, _, err := websocket.Dial(ctx, strings.Replace(s.URL, "http", "ws", 1)+"/ws?site=acme-shop", nil)
		must(t, err)
		t.Cleanup(func() { c.CloseNow() })
		return &wsClient{t: t, ctx: ctx, c: c}
	}
	say := func(w *wsClient, text string) string {
		id := chat.NewID()
		w.send(chat.Frame{V: 1, Type: chat.FrameMessage, ID: id, Text: text})
		w.expectAccepted(id)
		return id
	}

	// Anonymous first, on browser A.
	a := dial()
	a.send(chat.Frame{V: 1, Type: chat.FrameHello, Site: "acme-shop", Visitor: "anon-a"})
	anonWelcome := a.expect(chat.FrameWelcome)
	first := say(a, "hello, I am not signed in yet")
	poll.Until(t, 10*time.Second, func() error {
		if _, err := st.LatestConversation(t.Context(), "acme", "anon-a"); err != nil {
			return err
		}
		return nil
	})

	// A wrong hash is refused; the shopper stays anonymous.
	bad := dial()
	bad.send(chat.Frame{V: 1, Type: chat.FrameHello, Site: "acme-shop", Visitor: "anon-x", Identity: &chat.Identity{ID: "cust-42", Hash: hash("cust-43")}})
	e := bad.expect(chat.FrameError)
	if e.Code != chat.CodeIdentityRefused || !strings.Contains(e.Reason, "HMAC") {
		t.Fatalf("wrong hash: %+v", e)
	}
	if w := bad.expect(chat.FrameWelcome); w.Visitor != "anon-x" {
		t.Fatalf("refused identity changed the visitor: %+v", w)
	}

	// Browser A signs in: its anonymous conversation is merged.
	a2 := dial()
	a2.send(chat.Frame{V: 1, Type: chat.FrameHello, Site: "acme-shop", Visitor: "anon-a", ConversationID: anonWelcome.ConversationID,
		Identity: &chat.Identity{ID: "cust-42", Name: "Li Lei", Email: "li@example.com", Hash: hash("cust-42")}})
	w2 := a2.expect(chat.FrameWelcome)
	contact := chat.ContactVisitor("acme", "cust-42")
	if w2.Visitor != contact || strings.Contains(w2.Visitor, "cust-42") {
		t.Fatalf("verified welcome: %+v", w2)
	}
	second := say(a2, "now I am signed in")
	poll.Until(t, 10*time.Second, func() error {
		if _, err := st.LatestConversation(t.Context(), "acme", "anon-a"); err == nil {
			return fmt.Errorf("anonymous conversations not merged yet")
		}
		return nil
	})
	// "accepted" means in JetStream; device B's history is what central has
	// stored.
	var latest store.Conversation
	poll.Until(t, 10*time.Second, func() error {
		if latest, err = st.LatestConversation(t.Context(), "acme", contact); err != nil {
			return err
		}
		msgs, err := st.Messages(t.Context(), "acme", latest.ID, "", 0)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(msgs, func(m chat.Message) bool { return m.ID == second }) {
			return fmt.Errorf("%q not yet stored in %s", second, latest.ID)
		}
		return nil
	})

	// Device B: the same contact continues the same conversation and sees its history.
	b := dial()
	b.send(chat.Frame{V: 1, Type: chat.FrameHello, Site: "acme-shop", Visitor: contact, Identity: &chat.Identity{ID: "cust-42", Hash: hash("cust-42")}})
	wb := b.expect(chat.FrameWelcome)
	if wb.ConversationID != latest.ID {
		t.Fatalf("device B got conversation %s, want the contact's %s", wb.ConversationID, latest.ID)
	}
	b.expectMessage(func(f chat.Frame) bool { return f.ID == second })
	// What device B says reaches device A live, as central stored it: masked.
	third := say(b, "please call me on 13812345678")
	if f := a2.expectMessage(func(f chat.Frame) bool { return f.ID == third }); f.Role != chat.RoleShopper || strings.Contains(f.Text, "13812345678") {
		t.Fatalf("device A got %+v", f)
	}
	// Every message of both conversations is the contact's.
	all := 0
	for _, c := range mustConvs(t, st, "acme") {
		if c.Visitor != contact {
			t.Fatalf("conversation %s still of %s", c.ID, c.Visitor)
		}
		msgs, err := st.Messages(t.Context(), "acme", c.ID, "", 0)
		must(t, err)
		for _, m := range msgs {
			if m.ID == first || m.ID == second {
				all++
			}
		}
	}
	if all != 2 {
		t.Fatalf("%d of the shopper's 2 messages kept", all)
	}
}

// mustConvs lists tenant's conversations in every state, each once: one
// that changes state between the per-state queries (the router queues it
// while they run) is listed by two of them.
func mustConvs(t *testing.T, st store.Store, tenant string) []store.Conversation {
	t.Helper()
	var out []store.Conversation
	for _, status := range []store.Status{store.StatusBot, store.StatusQueued, store.StatusAssigned, store.StatusClosed} {
		l, err := st.Conversations(t.Context(), tenant, store.Filter{Status: status})
		must(t, err)
		for _, c := range l {
			if !slices.ContainsFunc(out, func(o store.Conversation) bool { return o.ID == c.ID }) {
				out = append(out, c)
			}
		}
	}
	return out
}
