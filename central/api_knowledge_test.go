package central

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

const returnsDoc = `---
id: returns
title: Returns
---
# Returns / 退货

You can return items within 30 days of delivery if they are unworn and have their tags.

签收后 30 天内，商品未穿着且吊牌完好即可退货。

| Product line | Return window |
|---|---|
| Headphones / 耳机 | 14 days if unopened |
`

// TestKnowledgeAPI walks the knowledge REST API: upload, list, read,
// ask, replace (a new version), delete, the catalogue, gaps → draft →
// approval, and the bad paths. Every response is checked against the
// OpenAPI document by the test client.
func TestKnowledgeAPI(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	api := newApp(t, s)
	tok := api.login("demo", demoEmail, demoPassword)

	var sum IngestSummary
	if code := api.do("POST", "/v1/knowledge/documents?name=returns.md", tok, returnsDoc, &sum); code != 201 || sum.Changed != 1 || sum.Entities != 1 || sum.IDs[0] != "returns" {
		t.Fatalf("upload: %d %+v", code, sum)
	}
	ask := func(q string) AskReply {
		var r AskReply
		if code := api.do("POST", "/v1/knowledge/ask", tok, AskRequest{Q: q}, &r); code != 200 {
			t.Fatalf("ask %q: %d", q, code)
		}
		return r
	}
	poll.Until(t, 10*time.Second, func() error {
		if r := ask("can I return unworn items with their tags?"); r.Kind != "passage" || !strings.Contains(r.Text, "30 days") || r.Sources[0].Doc != "returns" {
			return fmt.Errorf("answer %+v", r)
		}
		return nil
	})
	if r := ask("耳机可以退吗"); !strings.Contains(r.Text, "14 days") {
		t.Errorf("specific product line: %+v", r)
	}
	var list struct {
		Documents []DocumentView `json:"documents"`
	}
	if code := api.do("GET", "/v1/knowledge/documents", tok, nil, &list); code != 200 || len(list.Documents) != 1 || list.Documents[0].Passages == 0 {
		t.Fatalf("list: %d %+v", code, list)
	}
	var doc DocumentView
	if code := api.do("GET", "/v1/knowledge/documents/returns", tok, nil, &doc); code != 200 || doc.Derived == nil || !strings.Contains(doc.Body, "30 days") {
		t.Fatalf("get: %d %+v", code, doc)
	}
	// Replace: a new version, live within seconds.
	if code := api.do("PUT", "/v1/knowledge/documents/returns?name=returns.md", tok, strings.Replace(returnsDoc, "30 days", "45 days", 1), &sum); code != 200 || sum.Changed != 1 {
		t.Fatalf("replace: %d %+v", code, sum)
	}
	poll.Until(t, 10*time.Second, func() error {
		if r := ask("can I return unworn items with their tags?"); !strings.Contains(r.Text, "45 days") {
			return fmt.Errorf("answer %q", r.Text)
		}
		return nil
	})
	var vs struct {
		Versions []DocumentView `json:"versions"`
	}
	if code := api.do("GET", "/v1/knowledge/documents/returns/versions", tok, nil, &vs); code != 200 || len(vs.Versions) != 2 || vs.Versions[0].Version != 2 {
		t.Fatalf("versions: %d %+v", code, vs)
	}
	// Bad input: nothing stored.
	for _, bad := range []struct{ path, body string }{
		{"/v1/knowledge/documents?name=x.doc", "hello"},
		{"/v1/knowledge/documents?name=x.csv", "foo,bar\n1,2\n"},
		{"/v1/knowledge/documents", "no name"},
		{"/v1/knowledge/documents?name=empty.md", "\n\n"},
	} {
		var ae apiErr
		if code := api.do("POST", bad.path, tok, bad.body, &ae); code != 400 || ae.Error == "" {
			t.Errorf("POST %s: %d %+v", bad.path, code, ae)
		}
	}
	if code := api.do("GET", "/v1/knowledge/documents/nope", tok, nil, nil); code != 404 {
		t.Errorf("unknown document: %d", code)
	}
	if code := api.do("GET", "/v1/knowledge/documents", "", nil, nil); code != 401 {
		t.Errorf("no token: %d", code)
	}

	// Catalogue: live stock through PUT /v1/catalog/items/{sku}.
	item := map[string]any{"sku": "JKT-RED-M", "product": "Aurora Jacket", "name": "Aurora Jacket", "color": "red", "size": "M", "stock": 3, "price": "89.00", "currency": "USD"}
	if code := api.do("PUT", "/v1/catalog/items/JKT-RED-M", tok, item, nil); code != 200 {
		t.Fatalf("put item: %d", code)
	}
	poll.Until(t, 10*time.Second, func() error {
		r := ask("is the Aurora Jacket in red size M in stock?")
		if r.Kind != "product" || r.Card == nil || r.Card.Stock != 3 {
			return fmt.Errorf("answer %+v", r)
		}
		return nil
	})
	item["stock"] = -1
	if code := api.do("PUT", "/v1/catalog/items/JKT-RED-M", tok, item, nil); code != 400 {
		t.Errorf("negative stock: %d", code)
	}
	item["stock"], item["sku"] = 1, "OTHER"
	if code := api.do("PUT", "/v1/catalog/items/JKT-RED-M", tok, item, nil); code != 400 {
		t.Errorf("sku mismatch: %d", code)
	}

	// Gaps → draft → approval → live.
	ctx := context.Background()
	for _, q := range []string{"do you sell gift cards for weddings", "wedding gift cards?", "can I buy a gift card for a wedding"} {
		if err := s.Store().RecordMiss(ctx, store.Miss{Tenant: "demo", Text: q, Lang: "en", Reason: "fallback"}); err != nil {
			t.Fatal(err)
		}
	}
	var gaps struct {
		Gaps []Gap `json:"gaps"`
	}
	if code := api.do("GET", "/v1/knowledge/gaps", tok, nil, &gaps); code != 200 || len(gaps.Gaps) != 1 || gaps.Gaps[0].Count != 3 {
		t.Fatalf("gaps: %d %+v", code, gaps)
	}
	var d DraftView
	if code := api.do("POST", "/v1/knowledge/drafts", tok, DraftRequest{Gap: gaps.Gaps[0].ID}, &d); code != 201 || d.Status != store.DraftPending || d.Question == "" {
		t.Fatalf("draft: %d %+v", code, d)
	}
	const answer = "Yes: wedding gift cards from $25 to $500 come in a printed envelope."
	if code := api.do("POST", "/v1/knowledge/drafts/"+d.ID+"/approve", tok, DraftRequest{Answer: answer}, &d); code != 200 || d.Status != store.DraftApproved {
		t.Fatalf("approve: %d %+v", code, d)
	}
	poll.Until(t, 10*time.Second, func() error {
		if r := ask("do you sell gift cards for a wedding?"); r.Text != answer {
			return fmt.Errorf("answer %+v", r)
		}
		return nil
	})
	// Delete: gone from answers.
	if code := api.do("DELETE", "/v1/knowledge/documents/returns", tok, nil, nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	poll.Until(t, 10*time.Second, func() error {
		if r := ask("can I return unworn items with their tags?"); strings.Contains(r.Text, "45 days") {
			return fmt.Errorf("deleted document still answers: %q", r.Text)
		}
		return nil
	})
}

// TestBotAnswersFromIngestedKnowledge: the bot replies to a shopper with the
// specific fact and cites its source; a question naming a destination
// the knowledge does not cover is not answered with the generic entry.
func TestBotAnswersFromIngestedKnowledge(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	if _, err := s.IngestFiles(context.Background(), "demo", map[string][]byte{"returns.md": []byte(returnsDoc)}, ""); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, func() error {
		if s.Hub().Stats("demo").Documents != 1 {
			return fmt.Errorf("not loaded")
		}
		return nil
	})
	e.publish(envelope("demo", "v1", "", chat.NewID(), "Can I return headphones?", "en"))
	m := e.replyBy(chat.RoleBot).Message
	if !strings.Contains(m.Text, "14 days") || len(m.Sources) != 1 || m.Sources[0].Doc != "returns" {
		t.Fatalf("reply %+v", m)
	}
}

// TestPersona: a tenant's persona settings shape every bot answer: the
// name it signs with, the emoji and sign-off of knowledge answers, the
// source line when citing is on, and 您/你 in Chinese.
func TestPersona(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	ctx := context.Background()
	if _, err := s.IngestFiles(ctx, "demo", map[string][]byte{"returns.md": []byte(returnsDoc)}, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Store().SetTenantSettings(ctx, "demo", map[string]string{SettingPersonaName: "Mia", SettingPersonaEmoji: "true",
		SettingCiteSources: "true", SettingPersonaSignoff: "Happy holidays!"}, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, func() error {
		if s.Hub().Stats("demo").Documents != 1 {
			return fmt.Errorf("not loaded")
		}
		return nil
	})
	e.publish(envelope("demo", "p1", "", chat.NewID(), "Can I return headphones?", "en"))
	m := e.replyBy(chat.RoleBot).Message
	for _, want := range []string{"14 days", "🙂", "Happy holidays!", "Source: Returns"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("reply %q lacks %q", m.Text, want)
		}
	}
	if m.Author != "Mia" {
		t.Errorf("author %q", m.Author)
	}
	tests := []struct{ formality, in, want string }{
		{"formal", "你可以退货，你们的订单", "您可以退货，你们的订单"},
		{"casual", "您可以退货", "你可以退货"},
	}
	for _, tt := range tests {
		msg := chat.Message{Text: tt.in, Lang: "zh"}
		persona{formalZH: tt.formality}.apply(&msg, false)
		if msg.Text != tt.want {
			t.Errorf("%s: %q → %q, want %q", tt.formality, tt.in, msg.Text, tt.want)
		}
	}
}

// TestGapsDraftThemselves: with a short GapInterval, a gap asked twice
// gets a pending draft without anyone asking for it.
func TestGapsDraftThemselves(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.GapInterval = 50 * time.Millisecond
	s := e.start(cfg)
	ctx := context.Background()
	if _, err := s.IngestFiles(ctx, "demo", map[string][]byte{"returns.md": []byte(returnsDoc)}, ""); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"can I return headphones after 20 days", "returning headphones after 20 days?"} {
		if err := s.Store().RecordMiss(ctx, store.Miss{Tenant: "demo", Text: q, Lang: "en", Reason: "clarify"}); err != nil {
			t.Fatal(err)
		}
	}
	poll.Until(t, 10*time.Second, func() error {
		ds, err := s.Store().Drafts(ctx, "demo", store.DraftPending)
		if err != nil || len(ds) != 1 {
			return fmt.Errorf("drafts %+v %v", ds, err)
		}
		if !strings.Contains(ds[0].Answer, "14 days") || ds[0].Sources != "returns" {
			return fmt.Errorf("draft answer %q from %q, want the nearest passage", ds[0].Answer, ds[0].Sources)
		}
		return nil
	})
}
