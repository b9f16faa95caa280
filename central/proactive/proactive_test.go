package proactive

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
)

func TestInControlIsDeterministicAndNearItsShare(t *testing.T) {
	// Pinned: a change of the hash would reshuffle running experiments.
	pin := ""
	for i := range 16 {
		if InControl("order-delayed", fmt.Sprintf("v-%d", i), 50) {
			pin += "1"
		} else {
			pin += "0"
		}
	}
	if pin != "0011011110000010" {
		t.Fatalf("split of v-0…v-15 at 50%% = %s, want 0011011110000010", pin)
	}
	n := 0
	for i := range 10000 {
		if InControl("order-delayed", fmt.Sprintf("shopper-%d", i), 10) {
			n++
		}
	}
	if n < 900 || n > 1100 {
		t.Fatalf("10%% control gave %d of 10000", n)
	}
	if InControl("r", "v", 0) {
		t.Fatal("0% must hold nobody out")
	}
	// Another rule splits independently.
	same := 0
	for i := range 1000 {
		v := fmt.Sprintf("shopper-%d", i)
		if InControl("a", v, 50) == InControl("b", v, 50) {
			same++
		}
	}
	if same < 400 || same > 600 {
		t.Fatalf("rules a and b agree on %d of 1000 shoppers: not independent", same)
	}
}

func TestQuietHours(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	q, err := ParseQuiet("22:00-08:00 @Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at   time.Time
		want time.Time
	}{
		{time.Date(2026, 3, 1, 21, 59, 0, 0, sh), time.Date(2026, 3, 1, 21, 59, 0, 0, sh)},
		{time.Date(2026, 3, 1, 22, 0, 0, 0, sh), time.Date(2026, 3, 2, 8, 0, 0, 0, sh)},
		{time.Date(2026, 3, 2, 3, 30, 0, 0, sh), time.Date(2026, 3, 2, 8, 0, 0, 0, sh)},
		{time.Date(2026, 3, 2, 8, 0, 0, 0, sh), time.Date(2026, 3, 2, 8, 0, 0, 0, sh)},
	} {
		if got := q.Next(c.at); !got.Equal(c.want) {
			t.Errorf("Next(%v) = %v, want %v", c.at, got, c.want)
		}
	}
	day, _ := ParseQuiet("12:00-13:30")
	if !day.In(time.Date(2026, 1, 1, 12, 10, 0, 0, time.UTC)) || day.In(time.Date(2026, 1, 1, 13, 30, 0, 0, time.UTC)) {
		t.Fatal("same-day period")
	}
	var none *Quiet
	if none.In(time.Now()) {
		t.Fatal("nil is never quiet")
	}
	for _, bad := range []string{"22-08", "25:00-08:00", "08:00-08:00", "22:00-08:00 @Mars/Base", "x"} {
		if _, err := ParseQuiet(bad); !errors.Is(err, ErrQuiet) {
			t.Errorf("%q: %v, want ErrQuiet", bad, err)
		}
	}
}

func TestCheckRule(t *testing.T) {
	pct := func(n int) *int { return &n }
	ok := []Rule{
		{ID: "order-delayed", Trigger: TriggerEvent, EventType: "order.delayed", Text: map[string]string{"en": "Sorry, order {order_id} is late."}},
		{ID: "idle-offer", Trigger: TriggerIdle, IdleS: 30, RequireSKU: true, Text: map[string]string{"zh": "需要帮忙吗?"}, ControlPct: pct(0)},
		{ID: "618", Trigger: TriggerCampaign, At: time.Now(), AudienceDays: 30, Promotion: true, Text: map[string]string{"en": "Sale"}},
	}
	for _, r := range ok {
		if err := Check(&r); err != nil {
			t.Errorf("%s: %v", r.ID, err)
		}
	}
	bad := []Rule{
		{ID: "Bad ID", Trigger: TriggerEvent, EventType: "order.delayed", Text: map[string]string{"en": "x"}},
		{ID: "e", Trigger: TriggerEvent, EventType: "delayed", Text: map[string]string{"en": "x"}},
		{ID: "i", Trigger: TriggerIdle, IdleS: 1, Text: map[string]string{"en": "x"}},
		{ID: "c", Trigger: TriggerCampaign, AudienceDays: 3, Text: map[string]string{"en": "x"}},
		{ID: "t", Trigger: "sometimes", Text: map[string]string{"en": "x"}},
		{ID: "n", Trigger: TriggerEvent, EventType: "order.delayed"},
		{ID: "p", Trigger: TriggerEvent, EventType: "order.delayed", Text: map[string]string{"en": "x"}, ControlPct: pct(80)},
		{ID: "q", Trigger: TriggerEvent, EventType: "order.delayed", Text: map[string]string{"en": "x"}, QuietHours: "late"},
		{ID: "pr", Trigger: TriggerEvent, EventType: "order.delayed", Promotion: true, Text: map[string]string{"en": "x"}},
	}
	for _, r := range bad {
		if err := Check(&r); !errors.Is(err, ErrRule) {
			t.Errorf("%s: %v, want ErrRule", r.ID, err)
		}
	}
}

func TestRuleJSON(t *testing.T) {
	var r Rule
	if err := json.Unmarshal([]byte(`{"id":"x","trigger":"event","event_type":"order.delayed","cap":2,"cap_window":"12h","text":{"en":"hi"},"enabled":true}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.CapN() != 2 || r.CapFor() != 12*time.Hour || r.Control() != 10 {
		t.Fatalf("cap %d/%v control %d", r.CapN(), r.CapFor(), r.Control())
	}
	b, _ := json.Marshal(r)
	var back Rule
	if err := json.Unmarshal(b, &back); err != nil || back.CapFor() != 12*time.Hour {
		t.Fatalf("round trip %s: %v", b, err)
	}
}

func TestRenderAndIDs(t *testing.T) {
	text := map[string]string{"en": "Order {order_id} is delayed", "zh": "订单 {order_id} 延迟了"}
	if got := Render(text, "zh-CN", map[string]string{"order_id": "A1"}); got != "订单 A1 延迟了" {
		t.Fatal(got)
	}
	if got := Render(text, "fr", map[string]string{"order_id": "A1"}); got != "Order A1 is delayed" {
		t.Fatal(got)
	}
	id := NoticeID("demo", "r", "ev1", "v1")
	if id != NoticeID("demo", "r", "ev1", "v1") || id == NoticeID("demo", "r", "ev2", "v1") {
		t.Fatal("notice ids")
	}
	if m := MessageID(id); !chat.ValidID(m) || m[:3] != MessagePrefix {
		t.Fatalf("message id %q", m)
	}
}

func TestParseCap(t *testing.T) {
	c, err := ParseCap("3/24h")
	if err != nil || c.N != 3 || c.Window != 24*time.Hour {
		t.Fatal(c, err)
	}
	if c, err := ParseCap(""); err != nil || c.N != 0 {
		t.Fatal(c, err)
	}
	for _, bad := range []string{"3", "x/24h", "3/1s", "-1/1h"} {
		if _, err := ParseCap(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
