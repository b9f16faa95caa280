package edge

import (
	"github.com/fasthttp/websocket"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/pluginhost"
)

// Erasure at the edge (GDPR Art. 17).
//
// Central publishes chat.EventErasure on chat.EventsSubject(tenant) when a
// shopper asks to delete their data (Reason "requested") and when the data
// is erased (Reason "completed"); both carry the original visitor id. For
// a tenant one of its sites belongs to, the edge
//
//  1. forwards the event to the conversation's sockets as an `event` frame
//     (like every conversation event);
//  2. runs the region's `event` pipeline (pluginhost.HookEvent) on
//     ErasureEnvelope(region, ev), so that plugins drop what they keep for
//     the visitor (gdpr-residency deletes its KV entries); a plugin failure
//     is logged and counted, never retried;
//  3. on "completed", closes every connection of that visitor of that
//     tenant (status 1000, reason CloseReasonErased), which drops what the
//     edge holds for them (conversation attachment, sent-id memory, pending
//     frames). The widget reconnects; its resume is refused (the erased
//     conversation no longer belongs to the visitor) and it starts afresh;
//  4. on "completed", a leaf edge purges the visitor's envelopes that are
//     still in its regional stream (chat.RegionSubject carries the visitor
//     token), as central purged them from KEFU_INBOUND.
//
// Events of tenants the edge does not serve are ignored.

// CloseReasonErased is the WebSocket close reason sent to a visitor's
// connections once their data was erased.
const CloseReasonErased = "data erased; reconnect to start a new conversation"

// Labels of an event-hook envelope (plugins/ABI.md: labels["event"] holds
// the event type).
const (
	LabelEvent        = "event"
	LabelVisitor      = "visitor"
	LabelConversation = "conversation"
	LabelReason       = "reason"
)

// ErasureEnvelope is the envelope the event pipeline sees for an erasure
// event: tenant, region and visitor set, the message carries only the
// conversation id, and the labels event, visitor, conversation and reason.
func ErasureEnvelope(region string, ev chat.Event) chat.Envelope {
	env := chat.Envelope{V: chat.ProtocolVersion, Tenant: ev.Tenant, Region: region, Visitor: ev.Visitor,
		Message: chat.Message{ID: chat.NewID(), ConversationID: ev.ConversationID, Role: chat.RoleSystem, At: ev.At}}
	env.SetLabel(LabelEvent, string(ev.Type))
	env.SetLabel(LabelVisitor, ev.Visitor)
	env.SetLabel(LabelConversation, ev.ConversationID)
	if ev.Reason != "" {
		env.SetLabel(LabelReason, ev.Reason)
	}
	return env
}

// VaultEraser is a Revealer that can also forget a visitor's values: on a
// completed erasure the edge deletes them from the region's vault.
// *pluginhost.Host implements it.
type VaultEraser interface {
	EraseVault(region, tenant, visitor, conversation string) int
}

// servesTenant reports whether one of the configured sites belongs to tenant.
func (n *Node) servesTenant(tenant string) bool {
	for _, s := range n.sites.all() {
		if s.Tenant == tenant {
			return true
		}
	}
	return false
}

// onErasure handles a chat.EventErasure (see above). It runs on the events
// subscription's goroutine; PluginTimeout bounds it.
func (n *Node) onErasure(ev chat.Event) {
	if ev.Tenant == "" || !n.servesTenant(ev.Tenant) {
		return
	}
	out, err := n.runPlugins(n.ctx, pluginhost.HookEvent, ErasureEnvelope(n.cfg.Region, ev))
	switch {
	case err != nil:
		n.m.erasures.WithLabelValues("plugin_failed").Inc()
		n.log.Error("edge: erasure event plugins failed", "tenant", ev.Tenant, "conversation", ev.ConversationID, "err", err)
	case ev.Reason == "requested" || ev.Reason == "completed":
		n.m.erasures.WithLabelValues(ev.Reason).Inc()
		fallthrough
	default:
		n.log.Info("edge: erasure handled", "tenant", ev.Tenant, "conversation", ev.ConversationID, "reason", ev.Reason,
			"verdict", out.Verdict.String())
	}
	if ev.Reason != "completed" {
		return
	}
	if e, ok := n.cfg.Vault.(VaultEraser); ok {
		e.EraseVault(n.cfg.Region, ev.Tenant, ev.Visitor, ev.ConversationID)
	}
	if err := n.purgeRegion(n.ctx, ev.Tenant, ev.Visitor); err != nil {
		n.log.Error("edge: erased visitor's envelopes stay in the regional stream until the durable erasure event", "tenant", ev.Tenant, "err", err)
	}
	if ev.Visitor == "" {
		return
	}
	for _, s := range n.hub.visitorSessions(ev.Tenant, ev.Visitor) {
		s.shutdown(websocket.CloseNormalClosure, CloseReasonErased)
	}
}
