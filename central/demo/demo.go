// Package demo writes synthetic demo history so that a newcomer to
// `kefu dev` sees real reports at once: days of conversations with daily
// and weekly seasonality, a slow upward trend and promotion spikes (6.18,
// 11.11 with its pre-sale and after-sales days, 12.12), bot answers,
// handoffs with agent replies and ratings, browser answers, and merchant
// orders (some following a conversation).
//
// Everything it writes is marked: visitors are "demo-v…", agents
// "… (demo)" with demo-agent-N@demo.invalid addresses and no usable
// password, and every row carries the demo flag, so the reports show a
// "demo data" badge and store.AnalyticsStore.DeleteDemo (`kefu demo
// remove`) removes it all. The data is generated from a seed: the same
// seed and end give the same history.
package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/kefu-io/kefu/central/analytics"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// Options configure Seed.
type Options struct {
	Tenant string
	// Days of history ending at End. Default 90.
	Days int
	// End is the end of the history. Default now.
	End time.Time
	// PerDay is the mean number of conversations on an ordinary weekday
	// at the start of the history. Default 110.
	PerDay float64
	// Seed makes the history reproducible. Default 1.
	Seed uint64
	// SLA is the first-response target the facts are computed with. Default 2m.
	SLA time.Duration
}

// Result counts what Seed wrote.
type Result struct {
	Conversations int
	Messages      int
	Orders        int
	Hits          int
	// Notices counts the proactive notices of delayed orders (sent and control).
	Notices int
}

// AgentEmailDomain marks the demo agents' addresses.
const AgentEmailDomain = "@demo.invalid"

var agentNames = []string{"Li Na (demo)", "Wang Wei (demo)", "Sam Taylor (demo)", "Chen Jie (demo)"}

// Promotion multipliers by month-day.
var promotions = map[string]float64{
	"06-17": 1.4, "06-18": 2.5, "11-10": 1.6, "11-11": 3.5, "11-12": 1.8, "12-12": 2.2,
}

// weekday factors, Sunday first (shoppers write more at weekends).
var weekly = [7]float64{1.15, 1.0, 0.97, 0.95, 0.98, 1.05, 1.2}

// hourly is the share of a day's volume per hour (UTC+8 shop hours,
// expressed in UTC by the caller's choice of End; peaks late morning and
// evening).
var hourly = [24]float64{0.6, 0.35, 0.2, 0.15, 0.15, 0.2, 0.4, 0.8, 1.2, 1.6, 1.9, 1.9, 1.5, 1.4, 1.5, 1.6, 1.5, 1.4, 1.5, 1.8, 2.1, 2.2, 1.8, 1.1}

// Rate is the expected number of new conversations in the hour starting
// at t, at progress p (0 at the start of the history, 1 at its end).
func Rate(perDay float64, t time.Time, p float64) float64 {
	var sum float64
	for _, h := range hourly {
		sum += h
	}
	r := perDay * hourly[t.Hour()] / sum * weekly[t.Weekday()] * (1 + 0.15*p)
	if m, ok := promotions[t.Format("01-02")]; ok {
		r *= m
	}
	return r
}

type topic struct {
	intent  string
	deflect float64 // chance the bot resolves it
	anger   float64
	texts   []string
	answer  string
}

var topics = []struct {
	w float64
	t topic
}{
	{30, topic{"order_status", 0.7, 0.15, []string{"Where is my order?", "我的订单到哪里了？", "My parcel hasn't arrived yet", "订单什么时候发货"}, "You can follow your parcel under My orders → Track."}},
	{18, topic{"return_policy", 0.8, 0.1, []string{"How do I return an item?", "怎么退货？", "Can I return shoes I wore once?", "七天无理由退货怎么操作"}, "Returns are free within 30 days: My orders → Return."}},
	{14, topic{"shipping", 0.75, 0.1, []string{"How long does shipping take?", "运费多少？", "Do you ship to Hong Kong?", "包邮吗"}, "Standard shipping takes 2–4 days and is free from ¥99."}},
	{12, topic{"product_question", 0.5, 0.05, []string{"Is this jacket waterproof?", "这款有M码吗？", "What size should I take?", "这个颜色还有货吗"}, "Here is the size guide for this product."}},
	{10, topic{"refund", 0.3, 0.45, []string{"I still haven't got my refund", "退款怎么还没到账", "When will my refund arrive?", "退款申请被拒绝了"}, "Refunds reach your account 3–5 days after we receive the item."}},
	{6, topic{"complaint", 0, 0.85, []string{"This is the third time my order is late, I want to complain", "再不处理我就去12315投诉", "Terrible service, I want a manager", "东西坏了客服也不理，太差了"}, ""}},
	{5, topic{"payment", 0.45, 0.3, []string{"My payment failed twice", "支付失败怎么办", "Can I pay with Alipay?", "扣款了订单没生成"}, "If money was taken without an order it is returned within 24 h."}},
	{5, topic{"other", 0.2, 0.1, []string{"Can I change my address?", "能开发票吗", "Do you have a shop in Shanghai?", "怎么修改收货地址"}, ""}},
}

var (
	greetings = []string{"Hi, this is %s, happy to help!", "您好，我是%s，很高兴为您服务"}
	empathy   = []string{"I'm really sorry about this, I understand how frustrating it is.", "非常抱歉给您带来不便，我理解您的心情"}
	replies   = []string{"Let me check your order right away.", "I've found it — it left our warehouse yesterday.", "我帮您查一下", "已经为您加急处理了",
		"I've issued the refund now.", "The replacement ships today."}
	closings  = []string{"Is there anything else I can help with?", "还有什么可以帮您的吗？"}
	forbidden = "That's not my problem."
	askCard   = "Please send me your full card number so I can check."
	thanks    = []string{"Thanks!", "谢谢", "OK great", "好的"}
	comments  = map[int][]string{5: {"Very helpful, thanks", "客服很耐心"}, 4: {"Quick answer", ""}, 3: {"OK", ""}, 2: {"Slow reply", "等太久了"}, 1: {"Nobody helped me", "态度很差"}}
)

type gen struct {
	r      *rand.Rand
	opt    Options
	agents []store.Agent
	vis    int
	// next, when set, is the visitor and topic of the next conversation.
	next *struct {
		visitor string
		topic   topic
	}
}

func (g *gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

func (g *gen) topic() topic {
	var total float64
	for _, t := range topics {
		total += t.w
	}
	x := g.r.Float64() * total
	for _, t := range topics {
		if x -= t.w; x < 0 {
			return t.t
		}
	}
	return topics[0].t
}

func (g *gen) lognormal(median time.Duration, sigma float64) time.Duration {
	return time.Duration(float64(median) * math.Exp(sigma*g.r.NormFloat64()))
}

func isZH(s string) bool {
	for _, r := range s {
		if r >= 0x4E00 && r <= 0x9FFF {
			return true
		}
	}
	return false
}

// conversation generates one conversation starting at t.
func (g *gen) conversation(t time.Time, now time.Time) (store.ImportedConversation, []store.MerchantEvent) {
	g.vis++
	tp := g.topic()
	visitor := fmt.Sprintf("demo-v%06d", g.vis)
	if g.next != nil {
		visitor, tp, g.next = g.next.visitor, g.next.topic, nil
	}
	text := g.pick(tp.texts)
	lang := "en"
	if isZH(text) {
		lang = "zh"
	}
	channels := []chat.Channel{chat.ChannelWeb, chat.ChannelWeb, chat.ChannelWeb, chat.ChannelWeChat, chat.ChannelWeChat, chat.ChannelApp, chat.ChannelDouyin, chat.ChannelEmail}
	c := store.Conversation{Tenant: g.opt.Tenant, ID: chat.NewID(), Visitor: visitor, Channel: channels[g.r.IntN(len(channels))],
		Region: "cn", Lang: lang, Status: store.StatusBot, CreatedAt: t}
	var msgs []chat.Message
	at := t
	add := func(role chat.Role, d time.Duration, text string, f func(*chat.Message)) {
		at = at.Add(d)
		m := chat.Message{ID: chat.NewID(), ConversationID: c.ID, Role: role, Text: text, Lang: lang, At: at}
		if role != chat.RoleShopper {
			m.Source = chat.SourceCentral
		}
		if f != nil {
			f(&m)
		}
		msgs = append(msgs, m)
	}
	anger := math.Min(1, math.Max(0, tp.anger+0.1*g.r.NormFloat64()))
	add(chat.RoleShopper, 0, text, func(m *chat.Message) { m.Intent, m.Anger = tp.intent, anger })
	deflected := g.r.Float64() < tp.deflect
	if tp.answer != "" {
		intent := tp.intent
		answer := tp.answer
		if !deflected && g.r.Float64() < 0.4 {
			intent, answer = "fallback", "Sorry, I didn't get that. Could you rephrase?"
		}
		add(chat.RoleBot, time.Duration(800+g.r.IntN(1500))*time.Millisecond, answer, func(m *chat.Message) { m.Intent, m.Author = intent, "bot" })
	}
	var stats store.ConvStats
	if deflected {
		if g.r.Float64() < 0.5 {
			add(chat.RoleShopper, g.lognormal(20*time.Second, 0.5), g.pick(thanks), nil)
		}
		if g.r.Float64() < 0.6 {
			c.Status = store.StatusClosed
			c.UpdatedAt = at.Add(g.lognormal(3*time.Minute, 0.6))
		}
	} else {
		human := "I want to talk to a person"
		if lang == "zh" {
			human = "转人工"
		}
		add(chat.RoleShopper, g.lognormal(15*time.Second, 0.5), human, func(m *chat.Message) { m.Intent, m.Anger = "human", anger })
		add(chat.RoleSystem, 2*time.Second, "Connecting you to a person…", func(m *chat.Message) { m.Author = "router" })
		c.QueuedAt = at
		ag := g.agents[g.r.IntN(len(g.agents))]
		// Night shifts are thin: waits are longer outside 01:00–15:00 UTC (09–23 in China).
		frt := g.lognormal(25*time.Second, 0.8)
		if h := t.Hour(); h >= 15 && h < 23 {
			frt = g.lognormal(4*time.Minute, 0.7)
		}
		if _, promo := promotions[t.Format("01-02")]; promo {
			frt *= 2
		}
		first := true
		exchanges := 2 + g.r.IntN(3)
		for i := 0; i < exchanges; i++ {
			wait := g.lognormal(40*time.Second, 0.6)
			if first {
				wait = frt
			}
			var txt string
			switch {
			case first && g.r.Float64() < 0.85:
				txt = fmt.Sprintf(g.pick(greetings), ag.Name)
			case first && anger > 0.6 && g.r.Float64() < 0.6:
				txt = g.pick(empathy)
			case g.r.Float64() < 0.01:
				txt = forbidden
			case g.r.Float64() < 0.01:
				txt = askCard
			default:
				txt = g.pick(replies)
			}
			add(chat.RoleAgent, wait, txt, func(m *chat.Message) { m.Author = ag.Name })
			first = false
			if i < exchanges-1 {
				add(chat.RoleShopper, g.lognormal(30*time.Second, 0.6), g.pick(tp.texts), func(m *chat.Message) { m.Intent, m.Anger = tp.intent, anger*0.8 })
			}
		}
		if g.r.Float64() < 0.7 {
			add(chat.RoleAgent, g.lognormal(20*time.Second, 0.4), g.pick(closings), func(m *chat.Message) { m.Author = ag.Name })
		}
		c.Agent = ag.ID
		c.Status = store.StatusAssigned
		if g.r.Float64() < 0.92 {
			c.Status = store.StatusClosed
			c.UpdatedAt = at.Add(g.lognormal(2*time.Minute, 0.5))
		}
		if g.r.Float64() < 0.65 {
			stats.CSAT = g.rating(frt, tp)
			stats.CSATComment = g.pick(comments[stats.CSAT])
		}
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = at
	}
	if c.UpdatedAt.After(now) { // the last hour's conversations are still open
		c.Status, c.UpdatedAt = store.StatusAssigned, at
		if c.Agent == "" {
			c.Status = store.StatusBot
		}
	}
	c.LastText = msgs[len(msgs)-1].Text
	c.Anger = anger
	st := analytics.Compute(c, msgs, analytics.Options{SLA: g.opt.SLA, Now: now})
	st.CSAT, st.CSATComment, st.Demo = stats.CSAT, stats.CSATComment, true
	var evs []store.MerchantEvent
	// Some shoppers buy after talking to the shop.
	if g.r.Float64() < 0.14+0.1*tp.deflect {
		evs = append(evs, g.order(c.Visitor, t.Add(g.lognormal(2*time.Hour, 1.2)), now))
	}
	if tp.intent == "order_status" && g.r.Float64() < 0.1 {
		evs = append(evs, store.MerchantEvent{Tenant: g.opt.Tenant, ID: "demo-" + chat.NewID(), Type: "order.delayed", Visitor: c.Visitor,
			OrderID: fmt.Sprintf("D%08d", g.r.IntN(1e8)), At: t.Add(-g.lognormal(6*time.Hour, 0.5)), Demo: true, ReceivedAt: now})
	}
	return store.ImportedConversation{Conv: c, Messages: msgs, Stats: st}, evs
}

func (g *gen) rating(frt time.Duration, tp topic) int {
	base := 4.9 - tp.anger*0.8
	if frt > 2*time.Minute {
		base -= 1
	}
	v := int(math.Round(base + 0.7*g.r.NormFloat64()))
	return min(max(v, 1), 5)
}

func (g *gen) order(visitor string, at, now time.Time) store.MerchantEvent {
	return store.MerchantEvent{Tenant: g.opt.Tenant, ID: "demo-" + chat.NewID(), Type: analytics.EventOrderPlaced, Visitor: visitor,
		OrderID: fmt.Sprintf("D%08d", g.r.IntN(1e8)), Amount: math.Round(50+g.r.ExpFloat64()*180) + 0.9, Currency: "CNY", At: at, Demo: true, ReceivedAt: now}
}

// Seed writes the demo history of opt.Tenant into st (see the package
// doc). It creates the demo agents first. It is not idempotent: call
// DeleteDemo before seeding again.
func Seed(ctx context.Context, st store.Store, opt Options) (_ Result, err error) {
	if opt.Tenant == "" {
		return Result{}, fmt.Errorf("demo: no tenant")
	}
	if opt.Days <= 0 {
		opt.Days = 90
	}
	if opt.End.IsZero() {
		opt.End = time.Now()
	}
	if opt.PerDay <= 0 {
		opt.PerDay = 110
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	if opt.SLA <= 0 {
		opt.SLA = 2 * time.Minute
	}
	g := &gen{r: rand.New(rand.NewPCG(opt.Seed, 0x6b656675)), opt: opt}
	for i, name := range agentNames {
		a, err := st.PutAgent(ctx, store.Agent{Tenant: opt.Tenant, Email: fmt.Sprintf("demo-agent-%d%s", i+1, AgentEmailDomain), Name: name,
			PasswordHash: "!demo: no login"})
		if err != nil {
			return Result{}, fmt.Errorf("demo: agent: %w", err)
		}
		g.agents = append(g.agents, a)
	}
	end := opt.End.UTC().Truncate(time.Hour)
	start := end.Add(-time.Duration(opt.Days) * 24 * time.Hour)
	total := end.Sub(start).Hours()
	// The history is written in bulk (store.Bulk): rows in large
	// transactions, the rollups and derived columns rebuilt once at the end.
	bulk, err := st.BulkLoad(ctx, opt.Tenant)
	if err != nil {
		return Result{}, fmt.Errorf("demo: %w", err)
	}
	var res Result
	defer func() {
		if ferr := bulk.Finish(ctx); ferr != nil && err == nil {
			err = fmt.Errorf("demo: %w", ferr)
		}
	}()
	var batch []store.ImportedConversation
	var events []store.MerchantEvent
	var hits []store.WidgetHit
	var notices []store.Notice
	flush := func() error {
		n, err := bulk.Conversations(ctx, batch)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		res.Conversations += n
		for _, b := range batch {
			res.Messages += len(b.Messages)
		}
		batch = batch[:0]
		keep := events[:0]
		for _, e := range events {
			if e.At.After(opt.End) {
				continue
			}
			keep = append(keep, e)
			if e.Type == analytics.EventOrderPlaced {
				res.Orders++
			}
		}
		if _, err := bulk.Events(ctx, keep); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		events = events[:0]
		keepN := notices[:0]
		for _, n := range notices {
			if !n.CreatedAt.After(opt.End) {
				keepN = append(keepN, n)
			}
		}
		if _, err := bulk.Notices(ctx, keepN); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		res.Notices += len(keepN)
		notices = notices[:0]
		n, err = bulk.Hits(ctx, hits)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		res.Hits += n
		hits = hits[:0]
		return nil
	}
	faqs := []string{"return_policy", "shipping_time", "order_tracking", "size_guide", "payment_methods"}
	for t := start; t.Before(end); t = t.Add(time.Hour) {
		p := t.Sub(start).Hours() / total
		rate := Rate(opt.PerDay, t, p)
		for range poisson(g.r, rate) {
			ct := t.Add(time.Duration(g.r.Int64N(int64(time.Hour))))
			ic, evs := g.conversation(ct, opt.End)
			batch = append(batch, ic)
			events = append(events, evs...)
		}
		// Browser answers: shoppers the widget answered without any conversation.
		for range poisson(g.r, rate*0.45) {
			g.vis++
			v := fmt.Sprintf("demo-v%06d", g.vis)
			ht := t.Add(time.Duration(g.r.Int64N(int64(time.Hour))))
			for k := range 1 + g.r.IntN(2) {
				hits = append(hits, store.WidgetHit{Tenant: opt.Tenant, Visitor: v, FAQID: faqs[g.r.IntN(len(faqs))], Lang: "zh", Region: "cn",
					Score: 0.8 + 0.2*g.r.Float64(), At: ht.Add(time.Duration(k) * time.Minute), Demo: true})
			}
		}
		// Delayed orders and the proactive notice about them (delayed.go).
		for range poisson(g.r, rate*DelayedPerConversation) {
			ic, evs, ns := g.delayed(t.Add(time.Duration(g.r.Int64N(int64(time.Hour)))), opt.End)
			if ic != nil {
				batch = append(batch, *ic)
			}
			events = append(events, evs...)
			notices = append(notices, ns...)
		}
		// Orders from shoppers who never wrote.
		for range poisson(g.r, rate*1.5) {
			g.vis++
			events = append(events, g.order(fmt.Sprintf("demo-v%06d", g.vis), t.Add(time.Duration(g.r.Int64N(int64(time.Hour)))), opt.End))
		}
		if len(batch) >= 4000 {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	return res, flush()
}

func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
