package central

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/knowledge"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

func TestTemplateWindows(t *testing.T) {
	byID := map[string]knowledge.Template{}
	for _, tp := range knowledge.BuiltinTemplates() {
		byID[tp.ID] = tp
	}
	d := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
	for _, c := range []struct {
		id, now, start, end, cutoff string
	}{
		{"singles-day", "2026-12-03", "2027-10-20", "2027-11-14", ""},
		{"singles-day", "2026-11-05", "2026-10-20", "2026-11-14", ""},
		{"black-friday", "2026-11-01", "2026-11-20", "2026-12-02", ""}, // Black Friday 2026 is 27 November
		{"black-friday", "2027-01-01", "2027-11-19", "2027-12-01", ""}, // 26 November 2027
		{"cny-shipping", "2026-12-03", "2027-01-16", "2027-02-21", "2027-01-30"},
		{"cny-shipping", "2026-02-01", "2026-01-27", "2026-03-04", "2026-02-10"},
		{"christmas-shipping", "2026-12-26", "2026-11-25", "2026-12-27", "2026-12-18"},
	} {
		t.Run(c.id+" "+c.now, func(t *testing.T) {
			w := byID[c.id].NextWindow(d(c.now))
			if !w.Start.Equal(d(c.start)) || !w.End.Equal(d(c.end)) || (c.cutoff != "" && !w.Cutoff.Equal(d(c.cutoff))) {
				t.Fatalf("window %+v, want %s – %s (cut-off %s)", w, c.start, c.end, c.cutoff)
			}
		})
	}
	for id, tp := range byID {
		if err := knowledge.CheckEntries(tp.Entries); err != nil {
			t.Errorf("%s: %v", id, err)
		}
		for _, e := range tp.Entries {
			if e.Answers["zh"] == "" || e.Answers["en"] == "" || len(e.Questions["zh"]) == 0 || len(e.Questions["en"]) == 0 {
				t.Errorf("%s/%s lacks zh or en", id, e.ID)
			}
		}
	}
}

// fakeClock is a settable clock for the knowledge loop.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// TestHotTopicTemplates enables Singles' Day inside its window (a clock
// the test moves): its entries answer at central and are in the browser
// pack; past the window they leave both, without an edit. A tenant's own
// launch template works the same; bad templates are refused.
func TestHotTopicTemplates(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	api := newApp(t, s)
	tok := api.login("demo", demoEmail, demoPassword)
	clock := &fakeClock{t: time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)}
	s.kbs.setNow(clock.now)
	ctx := context.Background()
	kv, err := e.js.KeyValue(ctx, chat.BucketKnowledgePacks)
	if err != nil {
		t.Fatal(err)
	}
	packHas := func(text string) error {
		ent, err := kv.Get(ctx, "demo")
		if err != nil {
			return err
		}
		var pack chat.FAQPack
		if err := json.Unmarshal(ent.Value(), &pack); err != nil {
			return err
		}
		for _, en := range pack.Entries {
			for _, a := range en.Answers {
				if strings.Contains(a, text) {
					return nil
				}
			}
		}
		return fmt.Errorf("the browser pack (%d entries) lacks %q", len(pack.Entries), text)
	}
	answers := func(q, text string) error {
		a, err := s.Hub().Ask(ctx, "demo", knowledge.Question{Text: q})
		if err != nil || !a.Confident() || !strings.Contains(a.Text, text) {
			return fmt.Errorf("%q answered %s %q (%v)", q, a.Kind, a.Text, err)
		}
		return nil
	}

	var list struct {
		Templates []TemplateView `json:"templates"`
	}
	if code := api.do("GET", "/v1/knowledge/templates", tok, nil, &list); code != 200 || len(list.Templates) != 4 {
		t.Fatalf("list: %d %+v", code, list)
	}
	for _, tp := range list.Templates {
		if tp.Enabled || tp.Active || !tp.Builtin {
			t.Errorf("a built-in starts enabled or active: %+v", tp)
		}
	}
	var v TemplateView
	if code := api.do("PUT", "/v1/knowledge/templates/singles-day", tok, map[string]any{"enabled": true}, &v); code != 200 || !v.Enabled || !v.Active {
		t.Fatalf("enable: %d %+v", code, v)
	}
	poll.Until(t, 15*time.Second, func() error {
		if err := answers("双11的订单什么时候发货？", "72 小时"); err != nil {
			return err
		}
		if err := answers("When will my Singles' Day order ship?", "72 hours"); err != nil {
			return err
		}
		return packHas("72 小时内发货")
	})
	// {start} was filled in.
	if err := answers("Is there price protection for Singles' Day?", "from 20 October"); err != nil {
		t.Error(err)
	}
	// The window closes: the entries leave central and the pack.
	clock.set(time.Date(2026, 11, 14, 0, 0, 1, 0, time.UTC))
	poll.Until(t, 15*time.Second, func() error {
		if answers("When will my Singles' Day order ship?", "72 hours") == nil {
			return fmt.Errorf("still answered after the window")
		}
		if packHas("72 小时内发货") == nil {
			return fmt.Errorf("still in the browser pack after the window")
		}
		return nil
	})

	// A launch of the tenant's own, open now.
	now := clock.now()
	launch := map[string]any{"name": map[string]string{"en": "Aurora 2 launch", "zh": "Aurora 2 发布"},
		"start": now.Add(-time.Hour), "end": now.Add(48 * time.Hour),
		"entries": []knowledge.TemplateEntry{{ID: "preorder",
			Questions: map[string][]string{"en": {"When can I pre-order the Aurora 2?"}, "zh": {"Aurora 2 什么时候可以预订？"}},
			Answers:   map[string]string{"en": "Pre-orders for the Aurora 2 are open until {end}.", "zh": "Aurora 2 预订开放至{end}。"}}}}
	if code := api.do("POST", "/v1/knowledge/templates", tok, launch, &v); code != 201 || v.ID != "aurora-2-launch" || !v.Active || v.Builtin {
		t.Fatalf("create: %d %+v", code, v)
	}
	poll.Until(t, 15*time.Second, func() error {
		if err := answers("When can I pre-order the Aurora 2?", "open until 15 November"); err != nil {
			return err
		}
		return packHas("预订开放至11月15日")
	})
	if code := api.do("PUT", "/v1/knowledge/templates/aurora-2-launch", tok, map[string]any{"enabled": false}, &v); code != 200 || v.Active {
		t.Fatalf("disable: %d %+v", code, v)
	}
	poll.Until(t, 15*time.Second, func() error {
		if packHas("预订开放至") == nil {
			return fmt.Errorf("a disabled template is still in the pack")
		}
		return nil
	})
	for _, bad := range []struct {
		method, path string
		body         any
		code         int
	}{
		{"POST", "/v1/knowledge/templates", map[string]any{"name": map[string]string{"en": "X"}, "start": now, "end": now.Add(-time.Hour), "entries": launch["entries"]}, 400},
		{"POST", "/v1/knowledge/templates", map[string]any{"name": map[string]string{"en": "X"}, "start": now, "end": now.Add(time.Hour)}, 400},
		{"POST", "/v1/knowledge/templates", map[string]any{"name": map[string]string{"en": "X"}, "start": now, "end": now.Add(time.Hour),
			"entries": []knowledge.TemplateEntry{{ID: "a", Questions: map[string][]string{"en": {"q?"}}}}}, 400},
		{"POST", "/v1/knowledge/templates", map[string]any{"start": now, "end": now.Add(time.Hour), "entries": launch["entries"]}, 400},
		{"PUT", "/v1/knowledge/templates/nope", map[string]any{"enabled": true}, 404},
		{"DELETE", "/v1/knowledge/templates/nope", nil, 404},
	} {
		var ae apiErr
		if code := api.do(bad.method, bad.path, tok, bad.body, &ae); code != bad.code {
			t.Errorf("%s %s: %d, want %d (%+v)", bad.method, bad.path, code, bad.code, ae)
		}
	}
	if code := api.do("DELETE", "/v1/knowledge/templates/aurora-2-launch", tok, nil, nil); code != 204 {
		t.Errorf("delete: %d", code)
	}
	if code := api.do("DELETE", "/v1/knowledge/templates/singles-day", tok, nil, nil); code != 204 {
		t.Errorf("reset a built-in: %d", code)
	}
	if code := api.do("GET", "/v1/knowledge/templates", tok, nil, &list); code != 200 || len(list.Templates) != 4 || list.Templates[0].Enabled {
		t.Errorf("after delete and reset: %d %+v", code, list)
	}
}
