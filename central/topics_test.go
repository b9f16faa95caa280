package central

import (
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
)

func TestClusterTopics(t *testing.T) {
	q := func(text, intent string) chat.Message {
		return chat.Message{ID: chat.NewID(), ConversationID: chat.NewID(), Role: chat.RoleShopper, Text: text, Intent: intent}
	}
	prev := []chat.Message{q("where is my refund", "refund"), q("my refund has not arrived", "refund"), q("how long is shipping", "shipping")}
	cur := []chat.Message{
		q("where is my refund", "refund"), q("my refund has not arrived", "refund"), q("refund not arrived yet", "refund"), q("refund still missing where is it", "refund"),
		q("how long is shipping", "shipping"),
		q("can I change my delivery address", ""), q("change delivery address please", ""), q("how to change the delivery address", ""),
	}
	topics := clusterTopics(cur, prev)
	byLabel := map[string]Topic{}
	for _, tp := range topics {
		byLabel[tp.Label] = tp
	}
	r := byLabel["refund"]
	if r.Count != 4 || r.Previous != 2 || r.Trend != 1 || r.New || len(r.Examples) != 3 || len(r.Conversations) != 4 {
		t.Fatalf("refund topic %+v (all %+v)", r, topics)
	}
	if topics[0].Label != "refund" {
		t.Fatalf("largest first: %+v", topics)
	}
	var addr Topic
	for _, tp := range topics {
		if tp.Intent == "" && tp.Count == 3 {
			addr = tp
		}
	}
	if !addr.New || addr.Previous != 0 || len(addr.Terms) == 0 {
		t.Fatalf("new address topic: %+v (all %+v)", addr, topics)
	}
	if s := byLabel["shipping"]; s.Count != 1 || s.New || s.Trend != 0 {
		t.Fatalf("shipping %+v", s)
	}
}

func TestTopicsOverREST(t *testing.T) {
	_, s, api, _ := analyticsService(t)
	tok := api.login("demo", demoEmail, demoPassword)
	end := time.Now()
	if _, _, err := s.SeedDemo(bg, demoOpts(end)); err != nil {
		t.Fatal(err)
	}
	var r TopicsReply
	if code := api.do("GET", "/v1/analytics/topics?"+rangeQS(end.Add(-2*24*time.Hour), end.Add(time.Minute), "limit", "5"), tok, nil, &r); code != 200 {
		t.Fatal(code)
	}
	if r.Sampled == 0 || r.Previous == 0 || len(r.Topics) != 5 || r.Topics[0].Count < r.Topics[4].Count || r.Topics[0].Label == "" {
		t.Fatalf("topics %+v", r)
	}
	var e apiErr
	if code := api.do("GET", "/v1/analytics/topics?from=x", tok, nil, &e); code != 400 {
		t.Fatal(code)
	}
}
