package stack

import (
	"encoding/xml"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/edge/channels"
)

// BenchmarkWeChatPassiveReply times one WeChat text message from the POST
// to the passive XML reply in its response: edge (signature, XML, plugins in
// wazero) → JetStream → central (store, intent, knowledge search) → core
// NATS → edge → XML. WeChat allows 5 s. Reports p50 and p99 besides ns/op.
//
//	go test -run '^$' -bench WeChatPassiveReply -benchtime 200x ./internal/stack
func BenchmarkWeChatPassiveReply(b *testing.B) {
	s, err := Start(b.Context(), Options{Addr: "127.0.0.1:0", DataDir: b.TempDir(), PluginCache: testPluginCache(), Logger: quietLogger(),
		Channels: edge.ChannelOptions{Rate: 1e6, Burst: 1e6, TenantRate: 1e6, TenantBurst: 1e6}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	addChannel(b, s, channels.Config{ID: "wxbench", Tenant: DemoSite, Kind: channels.KindWeChat, Token: wxToken, AppID: wxAppID})
	u := s.URL + "/channels/wechat/wxbench?"
	questions := []string{"What is your return policy?", "退货政策是什么?", "How long does shipping take?", "Do you ship abroad?"}
	var took []time.Duration
	id := time.Now().UnixNano()
	for i := 0; b.Loop(); i++ {
		id++
		body := wxText("oWX-bench-"+chat.NewID()[20:], questions[i%len(questions)], id)
		start := time.Now()
		r := do(b, "POST", u+wxQuery(wxToken).Encode(), http.Header{"Content-Type": {"text/xml"}}, body)
		took = append(took, time.Since(start))
		var rep wxReply
		if r.status != 200 || xml.Unmarshal([]byte(r.body), &rep) != nil || rep.Content == "" {
			b.Fatalf("no passive reply: %+v", r)
		}
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}
