package central

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/central/alert"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

// robotStandIn records robot requests (WeCom or DingTalk format) and
// answers like the robot; fail makes the first n answers a 500.
type robotStandIn struct {
	mu     sync.Mutex
	srv    *httptest.Server
	bodies []map[string]any
	at     []time.Time
	fail   int
}

func newRobot(t *testing.T, dingSecret string) *robotStandIn {
	r := &robotStandIn{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		now := time.Now()
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.fail > 0 {
			r.fail--
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		if dingSecret != "" {
			q := req.URL.Query()
			ts, _ := strconv.ParseInt(q.Get("timestamp"), 10, 64)
			if q.Get("sign") != alert.DingtalkSign(dingSecret, ts) {
				_ = json.NewEncoder(w).Encode(map[string]any{"errcode": 310000, "errmsg": "sign not match"})
				return
			}
		}
		var b map[string]any
		if err := json.NewDecoder(req.Body).Decode(&b); err != nil {
			_ = json.NewEncoder(w).Encode(map[string]any{"errcode": 40035, "errmsg": "bad json"})
			return
		}
		r.bodies = append(r.bodies, b)
		r.at = append(r.at, now)
		_ = json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok"})
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *robotStandIn) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}

// TestStaffAlertsEndToEnd: a shopper message the sensitive-word plugin
// labelled reaches a signed DingTalk robot and a WeCom robot (which fails
// once and is retried), carrying the tenant, the conversation link, the
// masked text and the word; a second message of the same conversation
// does not page again; an angry message of another shopper does.
func TestStaffAlertsEndToEnd(t *testing.T) {
	e, _, api, set := analyticsService(t)
	ding := newRobot(t, "SECsecret")
	wecom := newRobot(t, "")
	wecom.fail = 1
	set.set("demo", SettingAlertDingTalk, ding.srv.URL+"/robot/send?access_token=tok")
	set.set("demo", SettingAlertDingSecret, "SECsecret")
	set.set("demo", SettingAlertWeCom, wecom.srv.URL+"/cgi-bin/webhook/send?key=k")
	set.set("demo", SettingAlertConsoleURL, "https://kefu.example/console/#c=")
	tok := api.login("demo", demoEmail, demoPassword)

	en := envelope("demo", "v-angry", "", chat.NewID(), "再不退款我就去12315投诉, call me at +86 138 0013 8000", "zh")
	en.SetLabel("alert", "投诉")
	staff := make(chan chat.Event, 4)
	if _, err := e.nc.Subscribe(chat.SubjectStaffPrefix+">", func(m *nats.Msg) {
		var ev chat.Event
		if json.Unmarshal(m.Data, &ev) == nil {
			staff <- ev
		}
	}); err != nil {
		t.Fatal(err)
	}
	e.publish(en)
	var ev chat.Event
	select {
	case ev = <-staff:
	case <-time.After(10 * time.Second):
		t.Fatal("no staff alert event")
	}
	if ev.Reason != "sensitive:投诉" {
		t.Fatalf("event %+v", ev)
	}
	poll.Until(t, 10*time.Second, func() error {
		if ding.count() != 1 || wecom.count() != 1 {
			return fmt.Errorf("dingtalk %d, wecom %d", ding.count(), wecom.count())
		}
		return nil
	})
	md := ding.bodies[0]["markdown"].(map[string]any)["text"].(string)
	for _, want := range []string{"demo", "投诉", "https://kefu.example/console/#c=" + ev.ConversationID} {
		if !strings.Contains(md, want) {
			t.Errorf("dingtalk text lacks %q: %s", want, md)
		}
	}
	if strings.Contains(md, "138 0013 8000") {
		t.Errorf("phone number in clear: %s", md)
	}

	// Same conversation again: deduplicated.
	en2 := envelope("demo", "v-angry", ev.ConversationID, chat.NewID(), "我要投诉你们", "zh")
	en2.SetLabel("alert", "投诉")
	e.publish(en2)
	// An angry shopper elsewhere (the widget's anger hint counts without a model).
	en3 := envelope("demo", "v-other", "", chat.NewID(), "This is the worst service ever", "en")
	en3.Message.Anger = 0.97
	e.publish(en3)
	e.consumerIdle()
	var alerts []AlertView
	poll.Until(t, 10*time.Second, func() error {
		if code := api.do("GET", "/v1/alerts", tok, nil, &alerts); code != 200 {
			return fmt.Errorf("alerts %d", code)
		}
		if len(alerts) != 2 {
			return fmt.Errorf("%d alerts", len(alerts))
		}
		for _, a := range alerts {
			for _, d := range a.Deliveries {
				if d.Status != "sent" {
					return fmt.Errorf("%s %s %s", a.Kind, d.Adapter, d.Status)
				}
			}
		}
		return nil
	})
	sort.Slice(alerts, func(i, j int) bool { return alerts[i].CreatedAt.Before(alerts[j].CreatedAt) })
	first, anger := alerts[0], alerts[1]
	if first.Kind != "sensitive" || len(first.Deliveries) != 2 || anger.Kind != "anger" || anger.Anger < 0.9 {
		t.Fatalf("alerts %+v", alerts)
	}
	for _, d := range first.Deliveries {
		want := 1
		if d.Adapter == "wecom" {
			want = 2 // one 500, then delivered
		}
		if d.Attempts != want || d.SentAt == nil || d.LatencyMS <= 0 {
			t.Errorf("delivery %+v", d)
		}
	}
	for len(e.evs) > 0 {
		if ev := <-e.evs; ev.Type == chat.EventAlert {
			t.Fatal("an alert went out on the events subject the edges forward to shoppers")
		}
	}
	if ding.count() != 2 || wecom.count() != 2 {
		t.Fatalf("robots paged %d/%d times, want 2/2", ding.count(), wecom.count())
	}
}

// TestAlertPermanentFailure: a robot that refuses the signature is not
// retried, and the failure is visible.
func TestAlertPermanentFailure(t *testing.T) {
	e, _, api, set := analyticsService(t)
	ding := newRobot(t, "SECright")
	set.set("demo", SettingAlertDingTalk, ding.srv.URL+"/robot/send?access_token=tok")
	set.set("demo", SettingAlertDingSecret, "SECwrong")
	tok := api.login("demo", demoEmail, demoPassword)
	en := envelope("demo", "v1", "", chat.NewID(), "lawyer", "en")
	en.SetLabel("alert", "lawyer")
	e.publish(en)
	var alerts []AlertView
	poll.Until(t, 10*time.Second, func() error {
		api.do("GET", "/v1/alerts", tok, nil, &alerts)
		if len(alerts) != 1 || len(alerts[0].Deliveries) != 1 || alerts[0].Deliveries[0].Status != "failed" {
			return fmt.Errorf("alerts %+v", alerts)
		}
		return nil
	})
	if d := alerts[0].Deliveries[0]; d.Attempts != 1 || !strings.Contains(d.LastError, "310000") {
		t.Fatalf("delivery %+v", d)
	}
}
