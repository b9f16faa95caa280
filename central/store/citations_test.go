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
