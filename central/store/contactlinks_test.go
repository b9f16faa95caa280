package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

func TestContactLinkContract(t *testing.T) {
	for name, open := range openers() {
		t.Run(name, func(t *testing.T) { testContactLinks(t, open(t)) })
	}
}

func testContactLinks(t *testing.T, s store.Store) {
	now := time.UnixMilli(1_700_000_000_000)
	li, eve := chat.ContactVisitor("a", "cust-42"), chat.ContactVisitor("a", "cust-77")
	wx, mail := chat.ChannelVisitor("wx1", "oLi"), chat.EmailIdentity("a", "li@example.com")
	for _, bad := range []struct{ identity, contact string }{{"anon-1", li}, {wx, "anon-2"}, {"", li}} {
		if _, err := s.LinkIdentity(ctx, "a", bad.identity, bad.contact, now); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("link %q → %q: %v, want ErrInvalid", bad.identity, bad.contact, err)
		}
	}
	if _, err := s.ContactOf(ctx, "a", wx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unlinked: %v", err)
	}
	for i, id := range []string{wx, mail} {
		changed, err := s.LinkIdentity(ctx, "a", id, li, now.Add(time.Duration(i)*time.Second))
		if err != nil || !changed {
			t.Fatalf("link %s: %v %v", id, changed, err)
		}
	}
	if changed, err := s.LinkIdentity(ctx, "a", wx, li, now.Add(time.Hour)); err != nil || changed {
		t.Fatalf("linked again: changed %v, %v", changed, err)
	}
	if c, err := s.ContactOf(ctx, "a", mail); err != nil || c != li {
		t.Fatalf("contact of e-mail: %q %v", c, err)
	}
	if _, err := s.ContactOf(ctx, "b", mail); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another tenant sees the link: %v", err)
	}
	if ids, err := s.ContactIdentities(ctx, "a", li); err != nil || !slices.Equal(ids, []string{wx, mail}) {
		t.Fatalf("identities %v %v", ids, err)
	}
	// A later verified claim moves the identity.
	if changed, err := s.LinkIdentity(ctx, "a", wx, eve, now.Add(2*time.Hour)); err != nil || !changed {
		t.Fatalf("move: %v %v", changed, err)
	}
	if ids, _ := s.ContactIdentities(ctx, "a", li); !slices.Equal(ids, []string{mail}) {
		t.Fatalf("after the move: %v", ids)
	}

	// Routes: each shopper message keeps its channel and route.
	if _, err := s.LastRoute(ctx, "a", "c1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no messages yet: %v", err)
	}
	msgs := []struct {
		ch    chat.Channel
		chID  string
		route string
	}{{chat.ChannelWeChat, "wx1", wx}, {chat.ChannelWeb, "", ""}, {chat.ChannelWeChat, "wx1", wx}, {chat.ChannelEmail, "mail1", "mail1:p1"}}
	for i, m := range msgs {
		_, _, stored, err := s.SaveInbound(ctx, store.Inbound{Tenant: "a", Visitor: li, Channel: m.ch, Route: m.route,
			Message: chat.Message{ID: "m" + string(rune('0'+i)), ConversationID: "c1", Text: "hi", At: now, Channel: m.ch, ChannelID: m.chID}})
		if err != nil || !stored {
			t.Fatalf("save %d: %v %v", i, stored, err)
		}
	}
	r, err := s.LastRoute(ctx, "a", "c1")
	if err != nil || r != (store.Route{Channel: chat.ChannelEmail, ChannelID: "mail1", Visitor: "mail1:p1"}) {
		t.Fatalf("last route %+v %v", r, err)
	}
	routes, err := s.ConversationRoutes(ctx, "a", "c1")
	if err != nil || len(routes) != 3 || routes[0].Visitor != "mail1:p1" || routes[1].Visitor != wx || routes[2].Channel != chat.ChannelWeb {
		t.Fatalf("routes %+v %v", routes, err)
	}
	got, err := s.Messages(ctx, "a", "c1", "", 0)
	if err != nil || len(got) != 4 || got[0].Channel != chat.ChannelWeChat || got[0].ChannelID != "wx1" || got[3].ChannelID != "mail1" {
		t.Fatalf("messages keep their channel: %+v %v", got, err)
	}

	// Erasing the contact erases its links and routes.
	if _, _, err := s.RequestErasure(ctx, store.ErasureRequest{ID: "e1", Tenant: "a", Visitor: li, RequestedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, done, err := s.Erase(ctx, "a", "e1", "agent-1", "x_erased1", now); err != nil || !done {
		t.Fatalf("erase: %v %v", done, err)
	}
	if _, err := s.ContactOf(ctx, "a", mail); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("link kept after erasure: %v", err)
	}
	if r, err := s.LastRoute(ctx, "a", "c1"); err != nil || r.Visitor != "" {
		t.Fatalf("route kept after erasure: %+v %v", r, err)
	}
	if c, err := s.ContactOf(ctx, "a", wx); err != nil || c != eve {
		t.Fatalf("another contact's link: %q %v", c, err)
	}
}

// TestLatestConversationTieBreak: a merged anonymous conversation and the one
// the contact's first signed-in message opened can share their updated_at
// millisecond; the newer conversation (the larger ULID) is the latest and
// the open one, whichever was inserted first.
func TestLatestConversationTieBreak(t *testing.T) {
	for name, open := range openers() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			contact := chat.ContactVisitor("a", "cust-42")
			older, newer := chat.NewID(), chat.NewID()
			mustInbound(t, s, inbound("a", "anon-1", msg(chat.NewID(), newer, "hi"))) // the newer one inserted first
			mustInbound(t, s, inbound("a", "anon-2", msg(chat.NewID(), older, "hi")))
			now := time.Now()
			for _, from := range []string{"anon-1", "anon-2"} {
				if n, err := s.MoveVisitor(ctx, "a", from, contact, now); err != nil || n != 1 {
					t.Fatalf("move %s: %d %v", from, n, err)
				}
			}
			if c, err := s.LatestConversation(ctx, "a", contact); err != nil || c.ID != newer {
				t.Fatalf("latest %q %v, want %q", c.ID, err, newer)
			}
			if c := mustInbound(t, s, inbound("a", contact, msg(chat.NewID(), "", "again"))); c.ID != newer {
				t.Fatalf("open conversation %q, want %q", c.ID, newer)
			}
		})
	}
}
