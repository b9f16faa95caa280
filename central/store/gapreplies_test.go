package store_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// TestAgentRepliesContract: the first agent message after each matching
// shopper question, per conversation and tenant, newest first.
func TestAgentRepliesContract(t *testing.T) {
	for name, open := range openers() {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			t0 := time.Now().Add(-time.Hour)
			msg := func(conv, id string, role chat.Role, text string, at time.Duration) chat.Message {
				return chat.Message{ID: id, ConversationID: conv, Role: role, Text: text, Author: map[chat.Role]string{chat.RoleAgent: "ana"}[role], Lang: "en", At: t0.Add(at)}
			}
			say := func(tenant string, m chat.Message) {
				if m.Role == chat.RoleShopper {
					mustInbound(t, s, inbound(tenant, "v-"+m.ConversationID, m))
					return
				}
				if _, _, err := s.SaveReply(ctx, tenant, m, false); err != nil {
					t.Fatal(err)
				}
			}
			const q1, q2 = "do you gift-wrap wedding orders", "wedding gift wrap?"
			say("a", msg("c1", "m1", chat.RoleShopper, q1, 0))
			say("a", msg("c1", "m2", chat.RoleBot, "Sorry, I don't know.", time.Second))
			say("a", msg("c1", "m3", chat.RoleAgent, "Yes, for 3 EUR with a card.", 2*time.Second))
			say("a", msg("c1", "m4", chat.RoleAgent, "Anything else?", 3*time.Second))
			say("a", msg("c2", "m5", chat.RoleShopper, q2, 4*time.Second))
			say("a", msg("c2", "m6", chat.RoleAgent, "Yes, 3 EUR.", 5*time.Second))
			say("a", msg("c3", "m7", chat.RoleShopper, q1, 6*time.Second)) // no agent answered
			say("b", msg("c9", "m8", chat.RoleShopper, q1, 7*time.Second))
			say("b", msg("c9", "m9", chat.RoleAgent, "other tenant", 8*time.Second))

			got, err := s.AgentReplies(ctx, "a", []string{q1, q2, "unrelated"}, 0)
			if err != nil {
				t.Fatal(err)
			}
			want := []store.AgentReply{{Question: q2, Reply: "Yes, 3 EUR.", Agent: "ana", Lang: "en"}, {Question: q1, Reply: "Yes, for 3 EUR with a card.", Agent: "ana", Lang: "en"}}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("AgentReplies = %+v\nwant %+v", got, want)
			}
			if got, err := s.AgentReplies(ctx, "a", nil, 0); err != nil || len(got) != 0 {
				t.Fatalf("no questions: %+v %v", got, err)
			}
		})
	}
}
