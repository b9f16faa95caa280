package demo

import (
	"fmt"
	"time"

	"github.com/kefu-io/kefu/central/proactive"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// How the demo history models proactive notices (the report of
// /v1/proactive/report reads them back; its numbers measure this model,
// not real shoppers):
//
//   - Delayed orders arrive at DelayedPerConversation × the hour's
//     conversation rate, each for a new shopper, as an order.delayed
//     merchant event.
//   - The rule DelayedRule holds out DelayedControlPct% of shoppers
//     (proactive.InControl, the same split central uses); the others get a
//     notice 2–60 s after the event, which their client acknowledges
//     (opened) with probability DelayedOpened.
//   - A shopper then writes to the shop about the order within three days
//     with probability DelayedAsk, reduced by DelayedOpenedEffect when the
//     notice was opened and by DelayedUnopenedEffect when it was sent but
//     not opened. These effects are assumptions of the generator; the
//     report recovers them, with sampling noise, from the stored rows.
const (
	DelayedRule            = "demo-order-delayed"
	DelayedPerConversation = 0.25
	DelayedControlPct      = 10
	DelayedOpened          = 0.7
	DelayedAsk             = 0.4
	DelayedOpenedEffect    = 0.35
	DelayedUnopenedEffect  = 0.05
)

// DelayedText is the demo rule's notice.
const DelayedText = "Sorry, your order %s is delayed by the carrier; it should arrive within 2 days. No need to contact us."

// delayed generates one delayed order at t: its event, the notice decision
// and, maybe, the shopper's conversation about it.
func (g *gen) delayed(t, now time.Time) (*store.ImportedConversation, []store.MerchantEvent, []store.Notice) {
	g.vis++
	visitor := fmt.Sprintf("demo-v%06d", g.vis)
	order := fmt.Sprintf("D%08d", g.r.IntN(1e8))
	ev := store.MerchantEvent{Tenant: g.opt.Tenant, ID: "demo-" + chat.NewID(), Type: "order.delayed", Visitor: visitor,
		OrderID: order, At: t, Demo: true, ReceivedAt: t}
	at := t.Add(time.Duration(2+g.r.IntN(58)) * time.Second)
	n := store.Notice{Tenant: g.opt.Tenant, ID: proactive.NoticeID(g.opt.Tenant, DelayedRule, "event:"+ev.ID, visitor), Rule: DelayedRule,
		Shopper: visitor, Ref: "event:" + ev.ID, CreatedAt: at, Demo: true}
	ask := DelayedAsk
	if proactive.InControl(DelayedRule, visitor, DelayedControlPct) {
		n.Arm, n.State = proactive.ArmControl, store.NoticeControl
	} else {
		n.Arm, n.State, n.SentAt = proactive.ArmSent, store.NoticeSent, at
		n.MessageID, n.Text, n.Channel, n.Region = proactive.MessageID(n.ID), fmt.Sprintf(DelayedText, order), string(chat.ChannelWeb), "cn"
		if g.r.Float64() < DelayedOpened {
			n.OpenedAt = at.Add(g.lognormal(2*time.Minute, 1))
			ask *= 1 - DelayedOpenedEffect
		} else {
			ask *= 1 - DelayedUnopenedEffect
		}
	}
	if g.r.Float64() >= ask {
		return nil, []store.MerchantEvent{ev}, []store.Notice{n}
	}
	g.next = &struct {
		visitor string
		topic   topic
	}{visitor, topics[0].t} // order_status
	ic, evs := g.conversation(at.Add(g.lognormal(6*time.Hour, 1)), now)
	if ic.Conv.CreatedAt.After(now) {
		return nil, []store.MerchantEvent{ev}, []store.Notice{n}
	}
	return &ic, append(evs, ev), []store.Notice{n}
}
