// Package analytics defines Kefu's service metrics and computes them: the
// facts of one conversation (Compute), their aggregate over a period
// (Summarize), time series (Series) and the CSV export (WriteCSV).
//
// Every metric is defined here, in one place, and tested on hand-made
// conversations with known answers (metrics_test.go). The definitions:
//
//   - conversations: conversations created in [from, to).
//   - messages: shopper, bot and agent messages of those conversations
//     (proactive notices excepted: see ProactiveAuthor)
//     (system notes such as the handoff note are not counted; the
//     widget's local answers reported with their question are bot
//     messages of source local), plus the browser answers (widget hits)
//     that belong to no stored conversation. browser_answers counts all
//     widget hits of the period.
//   - handoff: a conversation is handed off when the router queued it for a
//     human (its first handoff note, or its queue time) or an agent wrote
//     in it. handoff_rate = handed-off conversations / conversations.
//   - deflection: a contact is deflected when it was resolved without a
//     human: a conversation that was never handed off and that the bot
//     answered at least once with something other than its fallback (at
//     central, at the edge, or in the browser: a widget hit names the
//     conversation), or a browser session (the questions one visitor had
//     answered in the browser without any conversation at central, split
//     after 30 minutes without a hit). deflection_rate = deflected
//     contacts / (conversations + browser sessions).
//   - first response time (FRT): first agent message − first handoff, for
//     handed-off conversations with both (a handoff at 10:00:00 and an
//     agent reply at 10:00:04 is 4 s). frt_p50_s and frt_p90_s are
//     nearest-rank percentiles (Percentile) in seconds.
//   - average response time: after the handoff, every wait of the shopper
//     for an agent (from the handoff, or from the first shopper message
//     after an agent reply, to the next agent message), averaged per
//     conversation.
//   - resolution time: closed − created, for closed conversations;
//     resolution_p50_s.
//   - CSAT: csat_avg is the mean of the ratings (1–5) given to the
//     conversations, csat_count how many were given.
//   - SLA breach: a handed-off conversation whose first agent reply came
//     later than the tenant's SLA after the handoff, or that has waited
//     longer than the SLA without one (until closed, or until now).
//   - handle time: the agent's working time on a conversation, from the
//     first to the last agent message, plus HandleWrapUp for reading and
//     wrap-up, at most HandleCap.
//   - cost_per_conversation: (Σ handle time × cost.agent_hour + the share
//     of cost.infra_month for the period's length, a month being 30 days)
//     / conversations.
//   - conversion_rate: conversations whose shopper (the same visitor or
//     contact) placed an order (merchant event order.placed) between the
//     conversation's start and start + the conversion window, / conversations.
//
// When optional business hours are given, FRT and average response time
// count only the time inside them (BusinessHours).
package analytics

import (
	"math"
	"slices"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// ProactiveAuthor is the author of proactive notices (central/proactive):
// they are neither messages nor bot answers here, and a conversation a
// notice opened counts only once the shopper writes in it.
const ProactiveAuthor = "proactive"

// Handle-time constants (see the package doc).
const (
	HandleWrapUp = 60 * time.Second
	HandleCap    = 2 * time.Hour
	// BrowserSessionGap splits one visitor's browser answers into sessions.
	BrowserSessionGap = store.SessionGap
)

// Intent of the bot's fallback answer (central.answer sets it).
const fallbackIntent = "fallback"

// handoffAuthor is the author of the router's handoff note.
const handoffAuthor = "router"

// Options tune Compute.
type Options struct {
	// SLA is the tenant's first-response target after a handoff. Zero: no breaches.
	SLA time.Duration
	// Now closes the wait of a conversation still waiting. Default time.Now().
	Now time.Time
	// Hours, when set, limits response times to business hours.
	Hours *BusinessHours
}

// Compute returns the facts of conversation c from its messages (in stored
// order). It is a pure function of its arguments.
func Compute(c store.Conversation, msgs []chat.Message, opt Options) store.ConvStats {
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	st := store.ConvStats{Tenant: c.Tenant, ID: c.ID, Visitor: c.Visitor, Channel: string(c.Channel), CreatedAt: c.CreatedAt,
		FirstResponseMS: -1, AvgResponseMS: -1, ResolutionMS: -1, ComputedAt: now}
	if c.Agent != "" {
		st.Agents = []string{c.Agent}
	}
	var firstAgent, lastAgent time.Time
	var handoff time.Time
	botAnswered := false
	for _, m := range msgs {
		switch m.Role {
		case chat.RoleShopper:
			st.ShopperMsgs++
			if st.Intent == "" && m.Intent != "" {
				st.Intent = m.Intent
			}
			st.MaxAnger = max(st.MaxAnger, m.Anger)
		case chat.RoleBot:
			if m.Author == ProactiveAuthor {
				continue // a proactive notice: reported by /v1/proactive/report
			}
			st.BotMsgs++
			if m.Intent != fallbackIntent {
				botAnswered = true
			}
		case chat.RoleAgent:
			st.AgentMsgs++
			if firstAgent.IsZero() {
				firstAgent = m.At
			}
			lastAgent = m.At
		case chat.RoleSystem:
			if m.Author == handoffAuthor && handoff.IsZero() {
				handoff = m.At
			}
		}
	}
	st.Messages = st.ShopperMsgs + st.BotMsgs + st.AgentMsgs
	if handoff.IsZero() && !c.QueuedAt.IsZero() {
		handoff = c.QueuedAt
	}
	st.HandoffAt, st.FirstAgentAt = handoff, firstAgent
	st.HandedOff = !handoff.IsZero() || !firstAgent.IsZero()
	st.Deflected = !st.HandedOff && botAnswered
	if c.Status == store.StatusClosed {
		st.ClosedAt = c.UpdatedAt
		st.ResolutionMS = max(0, c.UpdatedAt.Sub(c.CreatedAt).Milliseconds())
	}
	if !handoff.IsZero() && !firstAgent.IsZero() && !firstAgent.Before(handoff) {
		st.FirstResponseMS = opt.Hours.Between(handoff, firstAgent).Milliseconds()
	}
	if !firstAgent.IsZero() {
		h := lastAgent.Sub(firstAgent) + HandleWrapUp
		st.HandleMS = min(h, HandleCap).Milliseconds()
	}
	st.AvgResponseMS = avgResponse(msgs, handoff, opt.Hours)
	if opt.SLA > 0 && !handoff.IsZero() {
		switch {
		case !firstAgent.IsZero() && !firstAgent.Before(handoff):
			st.SLABreached = firstAgent.Sub(handoff) > opt.SLA
		case firstAgent.IsZero():
			end := now
			if !st.ClosedAt.IsZero() {
				end = st.ClosedAt
			}
			st.SLABreached = end.Sub(handoff) > opt.SLA
		}
	}
	return st
}

// avgResponse is the mean wait for an agent after the handoff (ms), -1
// when no wait ended with an agent reply.
func avgResponse(msgs []chat.Message, handoff time.Time, hours *BusinessHours) int64 {
	if handoff.IsZero() {
		return -1
	}
	waitFrom := handoff
	var total time.Duration
	n := 0
	for _, m := range msgs {
		if m.At.Before(handoff) {
			continue
		}
		switch m.Role {
		case chat.RoleShopper:
			if waitFrom.IsZero() {
				waitFrom = m.At
			}
		case chat.RoleAgent:
			if !waitFrom.IsZero() {
				total += hours.Between(waitFrom, m.At)
				n++
				waitFrom = time.Time{}
			}
		}
	}
	if n == 0 {
		return -1
	}
	return (total / time.Duration(n)).Milliseconds()
}

// Percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// values: the smallest value such that at least p% of the values are at
// or below it. It sorts values in place; ok is false for no values.
func Percentile(values []float64, p float64) (v float64, ok bool) {
	if len(values) == 0 {
		return 0, false
	}
	slices.Sort(values)
	rank := int(math.Ceil(p / 100 * float64(len(values))))
	rank = min(max(rank, 1), len(values))
	return values[rank-1], true
}
