package store_test

import (
	"reflect"
	"testing"

	"github.com/kefu-io/kefu/chat"
)

// TestCitationsContract: a bot answer's citations are kept per message
// and conversation, replaced on a second put, scoped to the tenant.
func TestCitationsContract(t *testing.T) {
	for name, open := range openers() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			a := []chat.Citation{{Doc: "ship-canary-islands", Title: "Shipping to the Canary Islands", Version: 2, Passage: "p1"}}
			b := []chat.Citation{{Doc: "returns", Title: "Returns", Version: 1, Passage: "p9"}}
			for _, c := range []struct {
				tenant, conv, id string
				src              []chat.Citation
			}{{"t1", "c1", "m1", b}, {"t1", "c1", "m1", a}, {"t1", "c1", "m2", nil}, {"t1", "c2", "m3", b}, {"t2", "c1", "m4", b}} {
				if err := s.PutCitations(ctx, c.tenant, c.conv, c.id, c.src); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.ConversationCitations(ctx, "t1", "c1")
			if err != nil {
				t.Fatal(err)
			}
			if want := map[string][]chat.Citation{"m1": a}; !reflect.DeepEqual(got, want) {
				t.Fatalf("citations %+v, want %+v", got, want)
			}
		})
	}
}

// TestSaveReplyKeepsCitations: a reply saved with Sources has them as its
// citations (one transaction); a reply without has none; saving the same
// id again changes nothing.
func TestSaveReplyKeepsCitations(t *testing.T) {
	src := []chat.Citation{{Doc: "returns", Title: "Returns", Version: 3, Passage: "p2"}}
	for name, open := range openers() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			conv := mustInbound(t, s, inbound("t1", "v1", msg("in1", "", "How do returns work?")))
			for _, c := range []struct {
				id  string
				src []chat.Citation
			}{{"r1", src}, {"r2", nil}, {"r1", []chat.Citation{{Doc: "other"}}}} {
				m := chat.Message{ID: c.id, ConversationID: conv.ID, Role: chat.RoleBot, Text: "Within 30 days.", Sources: c.src}
				if _, _, err := s.SaveReply(ctx, "t1", m, false); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.ConversationCitations(ctx, "t1", conv.ID)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[string][]chat.Citation{"r1": src}; !reflect.DeepEqual(got, want) {
				t.Fatalf("citations %+v, want %+v", got, want)
			}
		})
	}
}
