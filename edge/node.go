package edge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/chat/jsconfig"
	"github.com/kefu-io/kefu/edge/intentcheck"
	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/internal/tracing"
)

// maxOutboundText is the largest reply text the edge delivers (central's
// answers may be longer than what a shopper may type).
const maxOutboundText = 64 << 10

// Errors the edge reports.
var (
	errUnavailable = errors.New("edge: jetstream unavailable")
	errPluginPanic = fmt.Errorf("%w: panic", pluginhost.ErrPluginFailed)
	errClosed      = errors.New("edge: node closed")
)

// Node is one regional edge: it serves the widget files and the widget's
// HTTP routes, speaks the WebSocket protocol (docs/PROTOCOL.md) with
// shoppers, runs the region's plugins and forwards envelopes to central
// over NATS JetStream. A Node is safe for concurrent use.
type Node struct {
	cfg      Config
	log      *slog.Logger
	m        *metrics
	nc       *nats.Conn
	js       jetstream.JetStream
	widget   map[string]asset
	models   map[string]asset
	packs    packCache
	configs  configCache // /w/config bodies and their compressed copies, by site
	sites    siteTable
	hub      hub
	kbPacks  kbPacks
	limits   *connLimiter
	heap     *heapGuard // nil: no heap cap
	subs     []*nats.Subscription
	outLanes *lanes     // central's replies, by conversation (lanes.go)
	inPool   *inPool    // shoppers' messages through the inbound plugins (inpool.go)
	msgPool  *stackPool // where a shopper's message is handled (stackpool.go)
	// inInline, outInline: the hook runs no plugin and no model, so its
	// (immediate) outcome is taken on the calling goroutine instead of a
	// worker or a lane (hasPipeline).
	inInline, outInline bool
	ctx                 context.Context
	cancel              context.CancelFunc
	conns               sync.WaitGroup
	closed              atomic.Bool
	streamM             sync.Mutex
	streamOK            atomic.Bool
	stream              jetstream.StreamConfig              // where inbound envelopes go: KEFU_INBOUND, or the regional stream of a leaf edge
	subject             func(tenant, visitor string) string // the subject of a visitor's inbound envelopes in stream
	bg                  sync.WaitGroup
	ch                  *channelState // platform channels (channel.go)
	uploads             uploadStore   // photos waiting for their message frame (upload.go)
}

// New starts an edge node: it makes sure the KEFU_INBOUND stream (with
// Config.Leaf: its regional stream) exists (when JetStream is not reachable
// yet it logs and retries on the first publish), with Config.Leaf keeps
// declaring that stream as a source of central's, and subscribes to the region's outbound replies and to
// conversation events. Call Register to add the routes to a Fiber app and
// Close to stop.
func New(ctx context.Context, cfg Config) (*Node, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(cfg.NATS)
	if err != nil {
		return nil, fmt.Errorf("edge: jetstream context: %w", err)
	}
	n := &Node{cfg: cfg, log: cfg.Logger.With("region", cfg.Region), m: newMetrics(cfg.Registerer), nc: cfg.NATS, js: js,
		stream: StreamConfig(), subject: chat.InboundVisitorSubject}
	if l := cfg.Leaf; l != nil {
		n.stream = RegionStreamConfig(l.Domain)
		n.subject = func(tenant, visitor string) string { return chat.RegionSubject(l.Domain, tenant, visitor) }
	}
	n.hub.init()
	n.sites.init(cfg.Sites)
	n.loadSiteCache()
	n.limits = newConnLimiter(cfg.MaxConns, cfg.MaxConnsPerIP)
	n.m.maxConns.Set(float64(cfg.MaxConns))
	n.ctx, n.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if n.widget, err = loadWidget(cfg.WidgetFS); err != nil {
		return nil, err
	}
	n.models = loadModels(cfg.WidgetFS, cfg.Models)
	if err := n.ensureStream(ctx); err != nil {
		n.log.Warn("edge: inbound stream not ready; will retry on publish", "err", err)
	}
	n.initChannels()
	if err := n.startChannelOutbox(ctx); err != nil {
		n.log.Warn("edge: channel outbox not consumed", "err", err)
	}
	n.inInline = cfg.Intent == nil && !hasPipeline(cfg.Plugins, cfg.Region, pluginhost.HookInbound)
	n.outInline = !hasPipeline(cfg.Plugins, cfg.Region, pluginhost.HookOutbound)
	n.outLanes = newLanes(cfg.OutboundLanes, 256)
	n.msgPool = newStackPool(n.ctx, msgWorkers*runtime.GOMAXPROCS(0), msgWorkersMost*runtime.GOMAXPROCS(0))
	n.inPool = newInPool(cfg.InboundWorkers, cfg.InboundQueue, func(ctx context.Context, env chat.Envelope) (pluginhost.Outcome, error) {
		return n.runPlugins(ctx, pluginhost.HookInbound, env)
	})
	out := chat.OutboundWildcard(cfg.Region)
	sub, err := n.nc.Subscribe(out, n.onOutbound)
	if err != nil {
		n.outLanes.close()
		n.inPool.close()
		return nil, fmt.Errorf("edge: subscribe %q: %w", out, err)
	}
	n.subs = append(n.subs, sub)
	ev := chat.SubjectEventsPrefix + "*"
	if sub, err = n.nc.Subscribe(ev, n.onEvent); err != nil {
		n.unsubscribe()
		n.outLanes.close()
		n.inPool.close()
		return nil, fmt.Errorf("edge: subscribe %q: %w", ev, err)
	}
	n.subs = append(n.subs, sub)
	for _, s := range n.subs {
		_ = s.SetPendingLimits(1<<16, 64<<20)
	}
	if err := n.nc.FlushTimeout(n.cfg.PublishTimeout); err != nil {
		n.unsubscribe()
		n.outLanes.close()
		n.inPool.close()
		return nil, fmt.Errorf("edge: flush subscriptions: %w", err)
	}
	if cfg.Leaf != nil {
		n.bg.Add(1)
		go n.keepSource()
	}
	if cfg.MaxHeapBytes > 0 {
		n.heap = &heapGuard{max: cfg.MaxHeapBytes}
		n.bg.Add(1)
		go func() { defer n.bg.Done(); n.heap.run(250*time.Millisecond, n.ctx.Done()) }()
	}
	n.bg.Add(1)
	go n.watchKnowledgePacks()
	n.bg.Add(1)
	go n.keepErasures()
	n.bg.Add(1)
	go n.watchSites()
	if k, ok := n.ch.opt.Source.(*kvChannels); ok { // chkv.go
		n.loadChannelCache(k)
		n.bg.Add(1)
		go n.watchChannels(k)
	}
	return n, nil
}

// Close closes every WebSocket connection (status 1001, the clients
// reconnect and resume elsewhere), waits for them to end and drops the NATS
// subscriptions. It does not close the NATS connection.
func (n *Node) Close() error {
	if n.closed.Swap(true) {
		return nil
	}
	n.unsubscribe()
	if n.ch != nil && n.ch.consume != nil {
		n.ch.consume.Stop()
	}
	n.cancel() // in-flight publishes and history requests give up; clients retry with the same ids
	n.outLanes.close()
	n.bg.Wait()
	for _, s := range n.hub.closeAll() {
		s.shutdown(1001, "edge shutting down")
	}
	done := make(chan struct{})
	go func() { n.conns.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		n.log.Warn("edge: connections still open after close")
	}
	n.inPool.close() // runs what is queued: a waiting connection gets its outcome
	return nil
}

func (n *Node) unsubscribe() {
	for _, s := range n.subs {
		_ = s.Unsubscribe()
	}
}

// hasPipeline reports whether p may run a plugin for region's hook: false
// only for no Plugins or a PipelineLister that says so.
func hasPipeline(p Plugins, region string, hook pluginhost.Hook) bool {
	if p == nil {
		return false
	}
	if l, ok := p.(PipelineLister); ok {
		return l.HasPipeline(region, hook)
	}
	return true
}

// StreamConfig is the KEFU_INBOUND stream both edge and central create:
// chat.InboundStream (subjects kefu.inbound.>, file storage, 2 minute
// duplicate window).
func StreamConfig() jetstream.StreamConfig { return jsconfig.Stream(chat.InboundStream()) }

func (n *Node) ensureStream(ctx context.Context) error {
	if n.streamOK.Load() {
		return nil
	}
	n.streamM.Lock()
	defer n.streamM.Unlock()
	if n.streamOK.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.PublishTimeout)
	defer cancel()
	// KEFU_INBOUND: create, but never update: if central (or an operator)
	// made the stream with other limits, theirs win; the edge only needs it
	// to exist. A leaf edge's regional stream is the edge's own: created or
	// updated to the contract (an older edge's stream lacked the visitor
	// subjects).
	if n.cfg.Leaf != nil {
		if _, err := n.js.CreateOrUpdateStream(ctx, n.stream); err != nil {
			return fmt.Errorf("edge: create or update stream %s: %w", n.stream.Name, err)
		}
	} else if _, err := n.js.CreateStream(ctx, n.stream); err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return fmt.Errorf("edge: create stream %s: %w", n.stream.Name, err)
	}
	n.streamOK.Store(true)
	return nil
}

// publish stores env in KEFU_INBOUND (a leaf edge: its regional stream)
// with its message id as Nats-Msg-Id and returns once JetStream
// acknowledged it.
func (n *Node) publish(ctx context.Context, env *chat.Envelope) error {
	data, err := chat.EncodeEnvelope(env)
	if err != nil {
		return fmt.Errorf("edge: encode envelope %q: %w", env.Message.ID, err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.PublishTimeout)
	defer cancel()
	if err := n.ensureStream(ctx); err != nil {
		n.m.publishFailures.Inc()
		return fmt.Errorf("%w: %w", errUnavailable, err)
	}
	msg := nats.NewMsg(n.subject(env.Tenant, env.Visitor))
	msg.Data = data
	// The publish is a span of the message's trace; its context goes to
	// central in the traceparent header (internal/tracing).
	ctx, sp := tracing.Start(ctx, "nats.publish", tracing.KindProducer)
	defer sp.End()
	if sp != nil {
		sp.SetAttr("messaging.system", "nats")
		sp.SetAttr("messaging.destination.name", msg.Subject)
		sp.SetAttr("kefu.message_id", env.Message.ID)
		msg.Header.Set(tracing.Header, sp.Context().Traceparent())
	}
	start := time.Now()
	if _, err := n.js.PublishMsg(ctx, msg, jetstream.WithMsgID(env.Message.ID)); err != nil {
		sp.SetError(err)
		n.m.publishFailures.Inc()
		if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) {
			n.streamOK.Store(false) // the stream may be gone: re-create on the next try
		}
		return fmt.Errorf("%w: publish %q: %w", errUnavailable, env.Message.ID, err)
	}
	n.m.publishSeconds.Observe(time.Since(start).Seconds())
	return nil
}

// runPlugins runs the pipeline for hook; a nil Plugins passes everything.
// A panic inside Plugins.Run is recovered and returned as an error wrapping
// pluginhost.ErrPluginFailed. Plugins may change the text and the labels
// only: the identity fields of env are restored on the result.
func (n *Node) runPlugins(ctx context.Context, hook pluginhost.Hook, env chat.Envelope) (out pluginhost.Outcome, err error) {
	if hook == pluginhost.HookInbound {
		n.checkIntent(&env)
	}
	if n.cfg.Plugins == nil {
		return pluginhost.Outcome{Verdict: pluginhost.Pass, Envelope: env}, nil
	}
	defer func() {
		if r := recover(); r != nil {
			out = pluginhost.Outcome{}
			err = fmt.Errorf("%w: %v", errPluginPanic, r)
			n.m.pluginOutcomes.WithLabelValues(string(hook), "panic").Inc()
		}
	}()
	if b, ok := n.cfg.Plugins.(BoundedPlugins); ok {
		out, err = b.RunWithin(ctx, n.cfg.PluginTimeout, n.cfg.Region, hook, env)
	} else {
		tctx, cancel := context.WithTimeout(ctx, n.cfg.PluginTimeout)
		defer cancel()
		out, err = n.cfg.Plugins.Run(tctx, n.cfg.Region, hook, env)
	}
	if err != nil {
		n.m.pluginOutcomes.WithLabelValues(string(hook), "error").Inc()
		return out, fmt.Errorf("edge: %s plugins on %q: %w", hook, env.Message.ID, err)
	}
	n.m.pluginOutcomes.WithLabelValues(string(hook), out.Verdict.String()).Inc()
	for _, d := range out.Declined {
		// Not the reason: a plugin may have put some of the shopper's text in it.
		n.log.Debug("edge: plugin declined the message", "plugin", d.Plugin, "id", env.Message.ID,
			"intent", env.Message.Intent, "confidence", env.Message.IntentConfidence)
	}
	if out.Envelope.Message.ID == "" { // an implementation that left Envelope empty
		out.Envelope = env
	}
	got := out.Envelope
	env.Message.Text = got.Message.Text
	env.Labels = got.Labels
	out.Envelope = env
	return out, nil
}

// checkIntent replaces the inbound message's intent hint with the edge
// model's label (Config.Intent) and sets its confidence; the metric counts
// hints that agreed (kept) and those that did not (replaced). A message
// the edge cannot score keeps its hint with confidence 0.
func (n *Node) checkIntent(env *chat.Envelope) {
	m := &env.Message
	m.IntentConfidence = 0 // only the edge sets it
	if n.cfg.Intent == nil || m.Role != chat.RoleShopper || m.Text == "" {
		return
	}
	r, err := n.cfg.Intent.Check(m.Text, m.Intent)
	if err != nil {
		n.log.Warn("edge: intent check failed; the hint goes on unchecked", "id", m.ID, "err", err)
		return
	}
	if r.Source == intentcheck.SourceEdge && m.Intent != "" {
		n.m.intentHints.WithLabelValues("replaced").Inc()
	} else if r.Source == intentcheck.SourceHint {
		n.m.intentHints.WithLabelValues("kept").Inc()
	}
	m.Intent, m.IntentConfidence = r.Intent, r.Confidence
}

// onOutbound takes one reply from central (NATS runs this callback on one
// goroutine) and queues its delivery on its conversation's lane: replies
// of a conversation are delivered in order, those of different
// conversations run through the outbound plugins in parallel. Without
// outbound plugins (outInline) it delivers at once, in arrival order:
// queueing a socket's frame is all that is left to do.
func (n *Node) onOutbound(m *nats.Msg) {
	start := time.Now()
	var env chat.Envelope
	if err := chat.DecodeEnvelope(m.Data, &env); err != nil {
		n.m.delivered.WithLabelValues("invalid").Inc()
		n.log.Warn("edge: undecodable outbound envelope", "subject", m.Subject, "err", err)
		return
	}
	if err := env.Check(maxOutboundText); err != nil || env.Message.ConversationID == "" {
		n.m.delivered.WithLabelValues("invalid").Inc()
		n.log.Warn("edge: invalid outbound envelope", "subject", m.Subject, "id", env.Message.ID, "err", err)
		return
	}
	traceparent := m.Header.Get(tracing.Header)
	if n.outInline {
		if n.closed.Load() {
			n.m.delivered.WithLabelValues("closing").Inc()
			return
		}
		n.deliverOutbound(env, traceparent, start)
		return
	}
	queued := env // the closure's own copy: env itself stays on the stack on the inline path
	if !n.outLanes.do(env.Tenant+"\x00"+env.Message.ConversationID, func() { n.deliverOutbound(queued, traceparent, start) }) {
		n.m.delivered.WithLabelValues("closing").Inc()
	}
}

// deliverOutbound delivers one reply to the sockets of its conversation,
// after the outbound pipeline; traceparent is the header central sent it
// with (the trace of the message it answers), received when it arrived.
func (n *Node) deliverOutbound(env chat.Envelope, traceparent string, received time.Time) {
	ctx, sp := n.ctx, (*tracing.Span)(nil)
	if n.cfg.Tracer != nil {
		ctx, sp = n.cfg.Tracer.Start(tracing.FromHeader(n.ctx, traceparent, env.Message.ReplyTo), "edge.reply", tracing.KindConsumer)
	}
	defer sp.End()
	if sp != nil {
		sp.SetAttr("kefu.message_id", env.Message.ID)
		sp.SetAttr("kefu.reply_to", env.Message.ReplyTo)
		sp.SetAttr("kefu.conversation_id", env.Message.ConversationID)
		sp.SetAttr("kefu.region", n.cfg.Region)
		sp.SetAttr("kefu.queued_ms", time.Since(received).Milliseconds())
	}
	n.ch.offer(env) // a waiting passive reply (a contact's too); the channel outbox has it as well
	if chat.PlatformChannel(env.Visitor) {
		sp.SetAttr("kefu.result", "channel")
		return
	}
	var buf [4]*session
	sessions := n.hub.lookup(buf[:0], env.Tenant, env.Message.ConversationID)
	if len(sessions) == 0 {
		sp.SetAttr("kefu.result", "no_socket")
		n.m.delivered.WithLabelValues("no_socket").Inc()
		return
	}
	msg, ok := n.outboundMessage(ctx, env)
	if !ok {
		sp.SetAttr("kefu.result", "withheld")
		return
	}
	b := encodeFrame(messageFrame(msg))
	for _, s := range sessions {
		s.deliver(msg.ID, chat.FrameMessage, b)
	}
	sp.SetAttr("kefu.result", "delivered")
	sp.SetAttr("kefu.sockets", len(sessions))
	n.m.delivered.WithLabelValues("delivered").Inc()
}

// outboundMessage runs the outbound pipeline over a reply. ok is false when
// the reply must not reach the shopper (dropped or a fail-closed failure).
func (n *Node) outboundMessage(ctx context.Context, env chat.Envelope) (chat.Message, bool) {
	env.Direction = chat.Outbound
	before := env.Message.Text
	out, err := n.runPlugins(ctx, pluginhost.HookOutbound, env)
	if err != nil {
		n.m.delivered.WithLabelValues("failed").Inc()
		n.log.Error("edge: outbound plugins failed; reply withheld", "id", env.Message.ID, "err", err)
		return chat.Message{}, false
	}
	msg := out.Envelope.Message
	switch out.Verdict {
	case pluginhost.Drop:
		n.m.delivered.WithLabelValues("dropped").Inc()
		n.log.Info("edge: outbound reply dropped by plugin", "id", msg.ID, "plugin", out.Plugin, "reason", out.Reason)
		return chat.Message{}, false
	case pluginhost.Answer:
		msg.Text = out.Answer
	}
	if chat.ValidateText(msg.Text, maxOutboundText) != nil {
		n.m.delivered.WithLabelValues("failed").Inc()
		n.log.Error("edge: outbound plugins left an invalid text; reply withheld", "id", msg.ID)
		return chat.Message{}, false
	}
	if msg.Text != before {
		n.reportShown(env, msg)
	}
	return msg, true
}

// reportShown tells central the text the shopper is shown instead of the
// reply's (chat.ShownSubject): the agent reads what the shopper reads.
// Core NATS: a lost report leaves the agent with the stored text.
func (n *Node) reportShown(env chat.Envelope, msg chat.Message) {
	if n.nc == nil {
		return
	}
	ev := chat.Event{V: chat.ProtocolVersion, Type: chat.EventShown, Tenant: env.Tenant, ConversationID: msg.ConversationID,
		Message: &chat.Message{ID: msg.ID, ConversationID: msg.ConversationID, Text: msg.Text}, At: time.Now().UTC()}
	b, err := chat.EncodeEvent(&ev) // json.Marshal, byte for byte
	if err != nil {
		return
	}
	if err := n.nc.Publish(chat.ShownSubject(env.Tenant), b); err != nil {
		n.log.Warn("edge: shown text not reported", "id", msg.ID, "err", err)
	}
}

// onEvent forwards conversation events to the sockets of the
// conversation. Of conversation.message only a shopper's own messages go
// on (echoShopper): replies arrive on the outbound subject.
func (n *Node) onEvent(m *nats.Msg) {
	if n.skipEvent(m.Data) {
		return
	}
	var ev chat.Event
	if err := json.Unmarshal(m.Data, &ev); err != nil {
		n.log.Warn("edge: undecodable event", "subject", m.Subject, "err", err)
		return
	}
	if ev.Type == chat.EventErasure {
		defer n.onErasure(ev) // after the event frame is queued to the visitor's sockets
	}
	if ev.Type == chat.EventMessage {
		n.echoShopper(ev)
		return
	}
	if ev.ConversationID == "" || !chat.ShopperEvent(ev.Type) {
		return
	}
	var buf [4]*session
	sessions := n.hub.lookup(buf[:0], ev.Tenant, ev.ConversationID)
	if len(sessions) == 0 {
		return
	}
	f := chat.Frame{V: chat.ProtocolVersion, Type: chat.FrameEvent, Event: string(ev.Type),
		ConversationID: ev.ConversationID, Author: ev.Agent, Reason: ev.Reason}
	if q := ev.Queue; q != nil && ev.Type == chat.EventQueuePosition {
		pos, wait := q.Position, q.WaitS
		f.Position, f.WaitS, f.Reason = &pos, &wait, q.Reason
		if q.OpensAt > 0 {
			f.At = q.OpensAt
		}
	}
	if !ev.At.IsZero() && f.At == 0 {
		f.At = ev.At.UnixMilli()
	}
	b := encodeFrame(f)
	for _, s := range sessions {
		s.deliver("", chat.FrameEvent, b)
	}
}

// eventHead is the part of an event that tells whether any socket of this
// edge gets it.
type eventHead struct {
	Type           chat.EventType `json:"type"`
	Tenant         string         `json:"tenant"`
	ConversationID string         `json:"conversation_id"`
	Message        *struct {
		ID   string    `json:"id"`
		Role chat.Role `json:"role"`
	} `json:"message"`
}

// skipEvent reports whether an event goes to no socket of this edge, read
// from its head alone: central publishes a conversation.message event for
// every message it stores (the question and the bot's answer), and nearly
// all of them are replies, which arrive on the outbound subject, or a
// shopper's message whose only connection sent it. Decoding those whole
// (text, labels, time) was work for nothing.
func (n *Node) skipEvent(data []byte) bool {
	h, ok := chat.DecodeEventHead(data) // most events: without encoding/json
	if !ok {
		var jh eventHead
		if json.Unmarshal(data, &jh) != nil {
			return false // the full decode logs it
		}
		h = chat.EventHead{Type: jh.Type, Tenant: jh.Tenant, ConversationID: jh.ConversationID, Message: jh.Message != nil}
		if jh.Message != nil {
			h.MessageID, h.Role = jh.Message.ID, jh.Message.Role
		}
	}
	switch {
	case h.Type == chat.EventErasure:
		return false // the edge acts on it with or without sockets
	case h.Type != chat.EventMessage:
		return h.ConversationID == "" || !chat.ShopperEvent(h.Type) || !n.hub.watched(h.Tenant, h.ConversationID)
	case !h.Message || h.Role != chat.RoleShopper || h.ConversationID == "":
		return true
	}
	var buf [4]*session
	for _, s := range n.hub.lookup(buf[:0], h.Tenant, h.ConversationID) {
		if !s.has(h.MessageID) {
			return false
		}
	}
	return true
}

// echoShopper sends a shopper's message, as central stored it (after the
// region's plugins), to the visitor's other connections to its
// conversation: another tab or device shows it live, not only in the
// history of its next connect. The connection that sent it has its id
// (session.hold) and gets nothing.
func (n *Node) echoShopper(ev chat.Event) {
	m := ev.Message
	if m == nil || m.Role != chat.RoleShopper || ev.ConversationID == "" || !chat.ValidID(m.ID) {
		return
	}
	var b []byte
	var buf [4]*session
	for _, s := range n.hub.lookup(buf[:0], ev.Tenant, ev.ConversationID) {
		if s.has(m.ID) {
			continue
		}
		if b == nil {
			echo := *m
			echo.ConversationID = ev.ConversationID
			b = encodeFrame(messageFrame(echo))
		}
		s.deliver(m.ID, chat.FrameMessage, b)
	}
}

// history asks central for the messages of a conversation after an id.
func (n *Node) history(ctx context.Context, req chat.HistoryRequest) (chat.HistoryReply, error) {
	var rep chat.HistoryReply
	data, err := json.Marshal(req)
	if err != nil {
		return rep, fmt.Errorf("edge: encode history request: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.HistoryTimeout)
	defer cancel()
	m, err := n.nc.RequestWithContext(ctx, chat.SubjectHistory, data)
	if err != nil {
		return rep, fmt.Errorf("edge: history of %q: %w", req.ConversationID, err)
	}
	if err := json.Unmarshal(m.Data, &rep); err != nil {
		return rep, fmt.Errorf("edge: decode history of %q: %w", req.ConversationID, err)
	}
	return rep, nil
}

func messageFrame(m chat.Message) chat.Frame {
	f := chat.Frame{V: chat.ProtocolVersion, Type: chat.FrameMessage, ID: m.ID, ConversationID: m.ConversationID,
		Text: m.Text, Role: m.Role, Source: m.Source, ReplyTo: m.ReplyTo, Author: m.Author, Lang: m.Lang, Original: m.Original,
		QuickReplies: m.QuickReplies, Sources: m.Sources}
	if m.Card != nil {
		f.Products = []chat.Card{*m.Card}
	}
	for _, a := range m.Attachments { // descriptions only, never the bytes
		a.Data = nil
		f.Attachments = append(f.Attachments, a)
	}
	if !m.At.IsZero() {
		f.At = m.At.UnixMilli()
	}
	return f
}

func encodeFrame(f chat.Frame) []byte {
	b, err := chat.EncodeFrame(&f)
	if err != nil { // chat.Frame has only strings, numbers and a string map
		panic(fmt.Sprintf("edge: encode frame: %v", err))
	}
	return b
}

// hub indexes open sessions by tenant and conversation.
type hub struct {
	mu    sync.RWMutex
	convs map[string]map[*session]struct{}
	conns map[*session]struct{} // every open connection, with or without hello
	shut  bool                  // the node is closing: refuse new connections
}

func (h *hub) init() {
	h.convs = make(map[string]map[*session]struct{})
	h.conns = make(map[*session]struct{})
}

// open records a new connection and adds it to wg; false once closeAll ran.
func (h *hub) open(s *session, wg *sync.WaitGroup) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.shut {
		return false
	}
	h.conns[s] = struct{}{}
	wg.Add(1)
	return true
}

func (h *hub) gone(s *session) {
	h.mu.Lock()
	delete(h.conns, s)
	h.mu.Unlock()
}

func hubKey(tenant, conv string) string { return tenant + "\x00" + conv }

func (h *hub) add(tenant, conv string, s *session) {
	k := hubKey(tenant, conv)
	h.mu.Lock()
	set := h.convs[k]
	if set == nil {
		set = make(map[*session]struct{}, 1)
		h.convs[k] = set
	}
	set[s] = struct{}{}
	h.mu.Unlock()
}

func (h *hub) remove(tenant, conv string, s *session) {
	k := hubKey(tenant, conv)
	h.mu.Lock()
	if set := h.convs[k]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(h.convs, k)
		}
	}
	h.mu.Unlock()
}

// lookup appends the open connections to a conversation to dst and
// returns it: a caller passes a small array on its stack (a conversation
// mostly has one connection), so a reply's delivery allocates no slice.
func (h *hub) lookup(dst []*session, tenant, conv string) []*session {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for s := range h.convs[hubKey(tenant, conv)] {
		dst = append(dst, s)
	}
	return dst
}

// watched reports whether a conversation has an open connection.
func (h *hub) watched(tenant, conv string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.convs[hubKey(tenant, conv)]) > 0
}

// visitorSessions returns the open connections of a visitor of tenant.
func (h *hub) visitorSessions(tenant, visitor string) []*session {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []*session
	for s := range h.conns {
		if s.site.Tenant != tenant {
			continue
		}
		s.mu.Lock()
		match := s.who == visitor
		s.mu.Unlock()
		if match {
			out = append(out, s)
		}
	}
	return out
}

// closeAll refuses new connections and returns the open ones.
func (h *hub) closeAll() []*session {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.shut = true
	out := make([]*session, 0, len(h.conns))
	for s := range h.conns {
		out = append(out, s)
	}
	return out
}
