package edge

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/pluginhost"
)

// Proactive notices at the edge (docs/PROTOCOL.md §2.11):
//
//   - page (client → edge): {idle_s, context: {url, sku}}: the shopper has
//     been idle on a page. At most one per pageEvery per connection is
//     forwarded. The URL loses its query and fragment (where e-mail
//     addresses and tokens hide), then passes the region's inbound
//     plugins like a message text, so what leaves the region is masked;
//     a plugin that drops it stops the report. The sku must be 1–64 of
//     [A-Za-z0-9._-]. Central's idle rules decide whether an offer comes
//     back, through the ordinary outbound path. It may be lost; no answer.
//   - ack of a message whose id starts with chat.NoticeMessagePrefix: the
//     client rendered a proactive notice; the edge tells central (opened).

// pageEvery is the least time between two forwarded page reports.
const pageEvery = 5 * time.Second

// maxPageURL bounds the URL forwarded with a page report.
const maxPageURL = 512

var skuChars = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// pageURL keeps scheme, host and path of a page URL ("" when it is not one).
func pageURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	u.RawQuery, u.Fragment, u.User, u.RawFragment = "", "", nil, ""
	s := u.String()
	if len(s) > maxPageURL {
		return ""
	}
	return s
}

func (s *session) onPage(f chat.Frame) {
	conv := s.conversation()
	now := time.Now()
	if conv == "" || f.IdleS <= 0 || f.IdleS > 24*3600 || now.Sub(s.pageAt) < pageEvery {
		return
	}
	s.pageAt = now
	sku := f.Context["sku"]
	if sku != "" && !skuChars.MatchString(sku) {
		sku = ""
	}
	u := pageURL(f.Context["url"])
	if u != "" {
		env := chat.Envelope{V: chat.ProtocolVersion, Tenant: s.site.Tenant, Region: s.n.cfg.Region, Channel: s.channel,
			Visitor: s.visitor, Direction: chat.Inbound,
			Message: chat.Message{ID: chat.NewID(), ConversationID: conv, Role: chat.RoleShopper, Text: u, At: now.UTC()}}
		env.SetLabel("site", s.siteKey)
		env.SetLabel("page_report", "1")
		out, err := s.n.runPlugins(s.n.ctx, pluginhost.HookInbound, env)
		if err != nil || out.Verdict == pluginhost.Drop {
			return
		}
		u = out.Envelope.Message.Text
	}
	r := chat.PageReport{Tenant: s.site.Tenant, Region: s.n.cfg.Region, Channel: s.channel, Visitor: s.visitor,
		ConversationID: conv, URL: u, SKU: sku, Lang: hintLang(f.Lang), IdleS: f.IdleS}
	if b, err := json.Marshal(r); err == nil {
		_ = s.n.nc.Publish(chat.PageSubject(s.site.Tenant), b)
	}
}

// onAck tells central that the client rendered a proactive notice.
func (s *session) onAck(f chat.Frame) {
	if !chat.IsNoticeMessage(f.ID) {
		return
	}
	b, err := json.Marshal(chat.NoticeOpened{Tenant: s.site.Tenant, Visitor: s.visitor, MessageID: f.ID, At: time.Now().UnixMilli()})
	if err == nil {
		_ = s.n.nc.Publish(chat.NoticeOpenedSubject(s.site.Tenant), b)
	}
}
