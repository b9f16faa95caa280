package edge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/internal/tracing"
)

// ReasonResumeUnavailable starts the reason of the error frame (code
// unavailable) an edge sends when it cannot verify that a resumed
// conversation is the visitor's; the connection then closes with
// CloseTryAgainLater and the client resumes later (docs/PROTOCOL.md §4).
const ReasonResumeUnavailable = "resume_unavailable"

// CloseTryAgainLater is the WebSocket close code (1013) after
// ReasonResumeUnavailable.
const CloseTryAgainLater = 1013

const (
	writeWait    = 10 * time.Second
	closeGrace   = 2 * time.Second
	historyLimit = 500
	seenCapacity = 1024
)

// outFrame is one encoded frame waiting for the writer.
type outFrame struct {
	typ    chat.FrameType
	b      []byte
	replay bool // a frame of a resume's history replay (not counted against SendQueue)
}

// session is one WebSocket connection. The read loop (the upgrade handler's
// goroutine) owns the fields above mu; a writer goroutine is the only one
// writing data frames to conn.
type session struct {
	n       *Node
	conn    *websocket.Conn
	out     frameWriter // socketWriter{conn}; a recorder in unit tests
	siteKey string
	site    Site
	channel chat.Channel

	wmu        sync.Mutex // held while data frames are written to conn (the writer's, or the read loop's own in release)
	qmu        sync.Mutex
	queue      []outFrame    // frames waiting for the writer, at most SendQueue besides a replay's; grown on demand
	replays    int           // replay frames in queue
	wake       chan struct{} // cap 1: the writer has frames to send
	done       chan struct{}
	writerDone chan struct{}
	once       sync.Once
	closeCode  int
	closeWhy   string

	hello       bool
	visitor     string
	mergeFrom   string   // the anonymous visitor a verified contact was (identity.go)
	links       []string // the verified channel identities of the contact (identity.go)
	msgBucket   tokenBucket
	frameBucket tokenBucket

	mu        sync.Mutex
	conv      string
	replaying bool // resume in progress: deliveries wait in pending
	holding   bool // a publish is in flight: deliveries wait so accepted comes first
	pending   []pendingFrame
	seen      idSet
	who       string    // the visitor after hello, for other goroutines (erasure)
	typingAt  time.Time // the last typing notice forwarded (read loop only)
	pageAt    time.Time // the last page report forwarded (read loop only)
}

// frameWriter is the side of a connection data frames are written to.
type frameWriter interface {
	SetWriteDeadline(t time.Time) error
	SetReadDeadline(t time.Time) error
	// WriteTexts writes each of frames as a text message, in order (a
	// socketWriter: in one write to the socket).
	WriteTexts(frames [][]byte) error
}

type pendingFrame struct {
	id  string
	typ chat.FrameType
	b   []byte
}

func (n *Node) serveWS(c *websocket.Conn, ref siteRef, ch chat.Channel) {
	now := time.Now()
	s := &session{
		n: n, conn: c, out: socketWriter{c}, siteKey: ref.key, site: ref.site, channel: ch,
		wake:        make(chan struct{}, 1),
		done:        make(chan struct{}),
		writerDone:  make(chan struct{}),
		msgBucket:   newTokenBucket(n.cfg.MessageRate, n.cfg.MessageBurst, now),
		frameBucket: newTokenBucket(n.cfg.FrameRate, n.cfg.FrameBurst, now),
		seen:        idSet{max: seenCapacity},
	}
	if !n.hub.open(s, &n.conns) {
		_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1001, "edge shutting down"), now.Add(writeWait))
		return
	}
	n.m.connections.Inc()
	n.m.connectionsTotal.Inc()
	defer func() {
		s.mu.Lock()
		conv := s.conv
		s.mu.Unlock()
		if conv != "" {
			n.hub.remove(s.site.Tenant, conv, s)
		}
		n.hub.gone(s)
		n.m.connections.Dec()
		n.conns.Done()
	}()

	idle := n.cfg.PingInterval * 5 / 2
	_ = c.SetReadDeadline(now.Add(idle))
	c.SetPongHandler(func(string) error { return c.SetReadDeadline(time.Now().Add(idle)) })
	go s.writeLoop()
	defer func() { // the writer must be done before the library recycles conn
		if r := recover(); r != nil {
			n.m.errors.WithLabelValues("panic").Inc()
			n.log.Error("edge: connection handler panicked", "panic", r)
			s.shutdown(websocket.CloseInternalServerErr, "internal error; reconnect and resume")
			<-s.writerDone
		}
	}()
	s.readLoop(idle)
	s.shutdown(websocket.CloseNormalClosure, "")
	<-s.writerDone
}

func (s *session) readLoop(idle time.Duration) {
	maxFrame := s.n.cfg.MaxFrame
	var buf bytes.Buffer    // reused: DecodeFrame does not keep the bytes
	var lr io.LimitedReader // reused: one allocation less per frame
	for {
		mt, r, err := s.conn.NextReader()
		if err != nil {
			return
		}
		buf.Reset()
		lr.R, lr.N = r, int64(maxFrame)+1
		if _, err := buf.ReadFrom(&lr); err != nil {
			return
		}
		data := buf.Bytes()
		if s.closing() {
			continue // closing handshake: discard until the peer's close arrives
		}
		if len(data) > maxFrame {
			s.n.m.errors.WithLabelValues("frame_too_large").Inc()
			s.shutdown(websocket.CloseMessageTooBig, fmt.Sprintf("frame over %d bytes", maxFrame))
			_, _ = io.Copy(io.Discard, io.LimitReader(r, 16*int64(maxFrame)))
			continue
		}
		_ = s.conn.SetReadDeadline(time.Now().Add(idle))
		if mt != websocket.TextMessage {
			s.n.m.framesIn.WithLabelValues("invalid").Inc()
			s.sendError(chat.CodeBadFrame, "", "binary frames are not part of the protocol; send JSON text frames", 0)
			continue
		}
		s.handle(data)
	}
}

func (s *session) handle(data []byte) {
	if !s.frameBucket.allow(time.Now()) {
		s.n.m.framesIn.WithLabelValues("limited").Inc()
		s.sendError(chat.CodeRateLimited, "", "too many frames; slow down", 0)
		return
	}
	f, err := DecodeFrame(data, s.n.cfg.MaxText)
	if err != nil {
		s.n.m.framesIn.WithLabelValues("invalid").Inc()
		var fe *FrameError
		if errors.As(err, &fe) {
			s.sendError(fe.Code, fe.ID, fe.Reason, fe.MaxText)
		}
		return
	}
	s.n.m.framesIn.WithLabelValues(string(f.Type)).Inc()
	switch f.Type {
	case chat.FramePing:
		s.send(chat.Frame{V: chat.ProtocolVersion, Type: chat.FramePong, ID: okID(f.ID)})
	case chat.FrameHello:
		if s.hello {
			s.sendError(chat.CodeBadFrame, "", "hello already received on this connection", 0)
			return
		}
		s.onHello(f)
	case chat.FrameMessage:
		if !s.hello {
			s.sendError(chat.CodeNeedHello, f.ID, "send hello before messages", 0)
			return
		}
		s.n.msgPool.run(func() { s.onMessage(f) }) // on a worker when one is idle (stackpool.go)
	case chat.FrameAck:
		if !s.hello {
			s.sendError(chat.CodeNeedHello, f.ID, "send hello before acks", 0)
			return
		}
		s.n.m.acks.Inc()
		s.onAck(f) // page.go
	case chat.FramePage:
		if !s.hello {
			return // may be lost
		}
		s.onPage(f) // page.go
	case chat.FrameTyping, chat.FrameCSAT:
		if !s.hello {
			s.sendError(chat.CodeNeedHello, f.ID, "send hello first", 0)
			return
		}
		s.onWork(f) // workframes.go
	}
}

func (s *session) onHello(f chat.Frame) {
	if f.Site != "" && f.Site != s.siteKey {
		s.sendError(chat.CodeBadFrame, "", fmt.Sprintf("hello site %q does not match the /ws?site= key", clip(f.Site)), 0)
		return
	}
	s.hello = true
	s.visitor = f.Visitor
	verified := false
	if f.Identity != nil { // identity.go
		if ok, claims, why := verifyIdentity(s.site.IdentitySecret, f.Identity); ok {
			verified = true
			if claims {
				s.links = s.n.identityLinks(s.n.ctx, s.site.Tenant, f.Identity)
			}
			contact := chat.ContactVisitor(s.site.Tenant, f.Identity.ID)
			if f.Visitor != "" && f.Visitor != contact && !chat.IsContactVisitor(f.Visitor) {
				// The anonymous visitor's conversations become the contact's
				// with the first message (central); its conversation id is
				// the anonymous one's, so continue the contact's instead.
				s.mergeFrom, f.ConversationID = f.Visitor, ""
			}
			s.visitor = contact
			if f.ConversationID == "" {
				// Another device of the contact: continue its latest conversation.
				if rep, err := s.n.history(s.n.ctx, chat.HistoryRequest{Tenant: s.site.Tenant, Visitor: contact, Limit: 1, Links: s.links}); err == nil && rep.ConversationID != "" {
					f.ConversationID, f.ResumeAfter = rep.ConversationID, ""
				}
			}
		} else {
			s.n.m.errors.WithLabelValues(chat.CodeIdentityRefused).Inc()
			s.sendError(chat.CodeIdentityRefused, "", why, 0)
		}
	}
	if !verified && chat.IsContactVisitor(s.visitor) {
		// A contact's visitor id is not a credential: only a verified
		// identity makes one (its histories span channels).
		s.visitor, f.ConversationID = "", ""
	}
	if s.visitor == "" {
		s.visitor = chat.NewID()
	}
	s.mu.Lock()
	s.who = s.visitor
	s.mu.Unlock()
	welcome := chat.Frame{V: chat.ProtocolVersion, Type: chat.FrameWelcome, Site: s.siteKey,
		Visitor: s.visitor, MaxText: s.n.cfg.MaxText}
	if f.ConversationID == "" {
		s.attach(chat.NewID(), false)
		welcome.ConversationID = s.conversation()
		s.send(welcome)
		return
	}
	// Resume: attach first (live replies wait in pending, unsent), then
	// ask central, which verifies that the conversation is this visitor's
	// and returns what the client missed; replay it, then flush the pending
	// live replies, skipping ids already sent. Nothing published meanwhile
	// is lost and nothing is sent twice. Until central has verified
	// ownership nothing of the conversation reaches this socket: when it
	// cannot be verified (central unreachable, store error) the session
	// detaches, drops what waited and asks the client to come back later;
	// a conversation id alone is not a credential (SECURITY.md).
	s.attach(f.ConversationID, true)
	rep, err := s.n.history(s.n.ctx, chat.HistoryRequest{Tenant: s.site.Tenant, Visitor: s.visitor,
		ConversationID: f.ConversationID, After: f.ResumeAfter, Limit: historyLimit})
	switch {
	case err != nil || rep.Error != "" && rep.Code == chat.HistoryUnavailable:
		why := "central unavailable"
		if err == nil {
			why = clip(rep.Error)
		}
		s.n.log.Warn("edge: resume not verified; connection held off", "conversation", f.ConversationID, "err", err, "reply", rep.Error)
		s.detach()
		s.hello = false
		s.n.m.errors.WithLabelValues("resume_unverified").Inc()
		s.send(chat.Frame{V: chat.ProtocolVersion, Type: chat.FrameError, Code: chat.CodeUnavailable,
			Reason: ReasonResumeUnavailable + ": the conversation cannot be verified now (" + why + "); reconnect and resume later"})
		s.shutdown(CloseTryAgainLater, ReasonResumeUnavailable)
		return
	case rep.Error != "":
		// Refused (unknown conversation, another visitor's): start afresh.
		s.detach()
		s.attach(chat.NewID(), false)
		welcome.ConversationID = s.conversation()
		welcome.Reason = "resume_refused: " + clip(rep.Error)
		s.send(welcome)
		return
	default:
		welcome.ConversationID = f.ConversationID
		s.send(welcome)
		for _, m := range rep.Messages {
			if m.ConversationID == "" {
				m.ConversationID = f.ConversationID
			}
			if m.Role != chat.RoleShopper {
				env := chat.Envelope{V: chat.ProtocolVersion, Tenant: s.site.Tenant, Region: s.n.cfg.Region,
					Channel: s.channel, Visitor: s.visitor, Direction: chat.Outbound, Message: m}
				var ok bool
				if m, ok = s.n.outboundMessage(s.n.ctx, env); !ok {
					continue
				}
			}
			s.mu.Lock()
			if s.seen.add(m.ID) {
				s.push(outFrame{typ: chat.FrameMessage, b: encodeFrame(messageFrame(m)), replay: true})
			}
			s.mu.Unlock()
		}
	}
	s.mu.Lock()
	s.replaying = false
	s.flushLocked()
	s.mu.Unlock()
}

// flushLocked queues the deliveries that waited, skipping ids already sent.
func (s *session) flushLocked() { s.takePendingLocked(s.enqueue) }

// takePendingLocked hands the deliveries that waited to emit in order,
// skipping ids already sent, and empties pending (s.mu held).
func (s *session) takePendingLocked(emit func(typ chat.FrameType, b []byte)) {
	for _, p := range s.pending {
		if p.id == "" || s.seen.add(p.id) {
			emit(p.typ, p.b)
		}
	}
	s.pending = nil
}

// hold makes deliveries wait until release, so that the answer to a
// message (accepted or error) is sent before any reply to it. It records
// the message's id as sent to this connection: central's echo of it for
// the visitor's other connections (Node.echoShopper) skips this one.
func (s *session) hold(id string) {
	s.mu.Lock()
	s.holding = true
	s.seen.add(id)
	s.mu.Unlock()
}

// has reports whether the message id was sent to (or by) this connection.
func (s *session) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.seen.ids[id]
	return ok
}

// release sends f, then the deliveries that waited. When nothing is queued
// for the writer and it is not writing, the read loop (its goroutine only)
// writes them itself, in one write, as a handler that answers each frame
// inline does: no wake-up of the writer goroutine per message, and the
// replies that arrived during the publish go with the accepted frame.
// Otherwise, and once the connection is closing, they are queued in order.
// A slow client then holds its own read loop for up to writeWait, never
// another goroutine.
func (s *session) release(f chat.Frame) {
	if f.Type == chat.FrameError {
		s.n.m.errors.WithLabelValues(f.Code).Inc()
	}
	b := encodeFrame(f)
	if !s.lockIdleWriter() {
		// Deliveries wait in pending until holding ends, so f goes first.
		s.enqueue(f.Type, b)
		s.mu.Lock()
		s.holding = false
		if !s.replaying {
			s.flushLocked()
		}
		s.mu.Unlock()
		return
	}
	frames := [][]byte{b}
	s.n.m.framesOut.WithLabelValues(string(f.Type)).Inc()
	s.mu.Lock()
	s.holding = false // deliveries from now on queue, and the writer waits for wmu
	if !s.replaying {
		s.takePendingLocked(func(typ chat.FrameType, b []byte) {
			frames = append(frames, b)
			s.n.m.framesOut.WithLabelValues(string(typ)).Inc()
		})
	}
	s.mu.Unlock()
	s.writeLocked(frames)
}

// lockIdleWriter takes wmu when the writer is not writing, no frame is
// queued and the connection is not closing: the caller may then write on
// the socket itself (writeLocked), before anything queued later.
func (s *session) lockIdleWriter() bool {
	if !s.wmu.TryLock() {
		return false
	}
	s.qmu.Lock()
	queued := len(s.queue) > 0
	s.qmu.Unlock()
	if queued || s.closing() { // the writer sends the queue (and then the close) in order
		s.wmu.Unlock()
		return false
	}
	return true
}

// writeLocked writes frames holding wmu, then unlocks it; a failed write
// closes the connection.
func (s *session) writeLocked(frames [][]byte) {
	err := func() error {
		defer s.wmu.Unlock() // even if the write panics (serveWS recovers and waits for the writer)
		return s.write(frames)
	}()
	if err != nil {
		s.shutdown(websocket.CloseAbnormalClosure, "")
		_ = s.out.SetReadDeadline(time.Now()) // the read loop ends on its next read
	}
}

// write writes frames on the socket (wmu held).
func (s *session) write(frames [][]byte) error {
	_ = s.out.SetWriteDeadline(time.Now().Add(writeWait))
	return s.out.WriteTexts(frames)
}

func (s *session) attach(conv string, replaying bool) {
	s.mu.Lock()
	s.conv, s.replaying = conv, replaying
	s.mu.Unlock()
	s.n.hub.add(s.site.Tenant, conv, s)
}

func (s *session) detach() {
	s.mu.Lock()
	conv := s.conv
	s.conv, s.pending = "", nil
	s.mu.Unlock()
	s.n.hub.remove(s.site.Tenant, conv, s)
}

func (s *session) conversation() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conv
}

func (s *session) onMessage(f chat.Frame) {
	if !s.msgBucket.allow(time.Now()) {
		s.sendError(chat.CodeRateLimited, f.ID, fmt.Sprintf("more than %g messages per second; retry with the same id", s.n.cfg.MessageRate), 0)
		return
	}
	conv := s.conversation()
	if f.ConversationID != "" && f.ConversationID != conv {
		s.sendError(chat.CodeBadFrame, f.ID, "conversation_id does not match the one in welcome", 0)
		return
	}
	// The message's trace (internal/tracing): its id is derived from the
	// message id, so a retry lands in the same trace.
	ctx, sp := s.n.ctx, (*tracing.Span)(nil)
	if s.n.cfg.Tracer != nil { // tracing off: no trace id to derive, no context to make
		ctx, sp = s.n.cfg.Tracer.Start(tracing.WithMessageTrace(s.n.ctx, f.ID), "edge.message", tracing.KindServer)
	}
	defer sp.End()
	if sp != nil {
		sp.SetAttr("kefu.message_id", f.ID)
		sp.SetAttr("kefu.conversation_id", conv)
		sp.SetAttr("kefu.tenant", s.site.Tenant)
		sp.SetAttr("kefu.region", s.n.cfg.Region)
		sp.SetAttr("kefu.channel", string(s.channel))
	}
	at := time.Now().UTC()
	if f.At > 0 && time.Since(time.UnixMilli(f.At)).Abs() < 24*time.Hour {
		at = time.UnixMilli(f.At).UTC()
	}
	env := chat.Envelope{
		V: chat.ProtocolVersion, Tenant: s.site.Tenant, Region: s.n.cfg.Region, Channel: s.channel,
		Visitor: s.visitor, Direction: chat.Inbound,
		Message: chat.Message{ID: f.ID, ConversationID: conv, Role: chat.RoleShopper, Text: f.Text,
			ReplyTo: f.ReplyTo, Lang: hintLang(f.Lang), Intent: hintTag(f.Intent), Anger: f.Anger, At: at},
	}
	setShopperFields(&env, f.Context)
	env.SetLabel("site", s.siteKey)
	if s.mergeFrom != "" {
		env.SetLabel(chat.LabelMergeVisitor, s.mergeFrom)
	}
	if len(s.links) > 0 {
		env.SetLabel(chat.LabelContactLinks, strings.Join(s.links, " "))
	}
	var photo chat.Attachment
	if f.Upload != "" { // a photo (upload.go): plugins see its description only
		var ok bool
		if photo, ok = s.attachUpload(f.Upload); !ok {
			s.sendError(chat.CodeUploadExpired, f.ID, "this edge does not hold that upload (expired or never made): upload the photo again and resend", 0)
			return
		}
		desc := photo
		desc.Data = nil
		env.Message.Attachments = []chat.Attachment{desc}
	}
	var out pluginhost.Outcome
	var err error
	if s.n.inInline { // nothing to run: no hop to a worker
		out, err = s.n.runPlugins(ctx, pluginhost.HookInbound, env)
	} else {
		out, err = s.n.inPool.do(ctx, env) // on a worker (inpool.go)
	}
	if errors.Is(err, errEdgeBusy) {
		sp.SetAttr("kefu.result", "busy")
		s.n.m.inboundBusy.Inc()
		s.sendError(chat.CodeUnavailable, f.ID, "the edge is busy; retry in a moment with the same id", 0)
		return
	}
	if err != nil {
		sp.SetError(err)
		s.n.log.Error("edge: inbound plugins failed; message refused", "id", f.ID, "err", err)
		s.sendError(chat.CodeUnavailable, f.ID, "a plugin failed; retry later with the same id", 0)
		return
	}
	if f.Upload != "" {
		out.Envelope.Message.Attachments = []chat.Attachment{photo} // the bytes go to central with the message
	}
	for _, k := range chat.EdgeAnswerLabels { // only the edge sets them, below
		delete(out.Envelope.Labels, k)
	}
	sp.SetAttr("kefu.verdict", out.Verdict.String())
	if localAnswered(&out, f) { // the widget answered in the browser (workframes.go)
		if s.valid(out.Envelope) {
			s.forward(ctx, out.Envelope)
		}
		return
	}
	switch out.Verdict {
	case pluginhost.Drop:
		reason := out.Reason
		if reason == "" {
			reason = "refused by " + out.Plugin
		}
		s.sendError(chat.CodeDropped, f.ID, reason, 0)
		return
	case pluginhost.Answer:
		s.answerAtEdge(ctx, f, conv, out)
		return
	case pluginhost.Escalate:
		reason := out.Reason
		if reason == "" {
			reason = "plugin:" + out.Plugin
		}
		out.Envelope.SetLabel(chat.LabelEscalate, reason)
	}
	if s.valid(out.Envelope) {
		s.forward(ctx, out.Envelope)
	}
}

// answerAtEdge sends a plugin's answer to the shopper at once, without
// waiting for JetStream or central, then forwards the shopper's message
// with the answer in its labels so that central records both in the
// conversation. The answer's id derives from the message id: a retry gets
// the same id, which this connection does not send twice.
func (s *session) answerAtEdge(ctx context.Context, f chat.Frame, conv string, out pluginhost.Outcome) {
	if err := chat.ValidateText(out.Answer, chat.MaxTextBytes); err != nil {
		s.n.log.Error("edge: plugin answer is not a valid text; message refused", "id", f.ID, "plugin", out.Plugin, "err", err)
		s.sendError(chat.CodeUnavailable, f.ID, "a plugin failed; retry later with the same id", 0)
		return
	}
	plugin := out.Plugin
	if plugin == "" {
		plugin = "plugin"
	}
	reply := chat.Message{ID: EdgeAnswerID(s.site.Tenant, f.ID), ConversationID: conv, Role: chat.RoleBot, Text: out.Answer,
		Source: chat.SourceEdge, ReplyTo: f.ID, Author: plugin, Lang: f.Lang, At: time.Now().UTC()}
	env := out.Envelope
	env.SetLabel(LabelEdgeAnswerID, reply.ID)
	env.SetLabel(LabelEdgeAnswerText, reply.Text)
	env.SetLabel(LabelEdgeAnswerPlugin, plugin)
	if !s.valid(env) {
		return
	}
	s.mu.Lock()
	if s.seen.add(reply.ID) {
		s.enqueue(chat.FrameMessage, encodeFrame(messageFrame(reply)))
	}
	s.mu.Unlock()
	s.forward(ctx, env)
}

// valid checks the envelope the plugins left; an invalid one refuses the
// message with unavailable (a plugin failed).
func (s *session) valid(env chat.Envelope) bool {
	if err := env.Check(s.n.cfg.MaxText); err != nil {
		s.n.log.Error("edge: plugins left an invalid envelope; message refused", "id", env.Message.ID, "err", err)
		s.sendError(chat.CodeUnavailable, env.Message.ID, "a plugin failed; retry later with the same id", 0)
		return false
	}
	return true
}

// forward publishes env (the shopper's message after the plugins, checked)
// to JetStream and answers accepted, or unavailable to retry with the same
// id. Replies that arrive meanwhile wait, so accepted goes first.
func (s *session) forward(ctx context.Context, env chat.Envelope) {
	id, conv := env.Message.ID, env.Message.ConversationID
	s.hold(id)
	if err := s.n.publish(ctx, &env); err != nil {
		tracing.SpanFrom(ctx).SetAttr("kefu.result", "unavailable")
		s.n.log.Warn("edge: message not accepted", "id", id, "err", err)
		s.release(chat.Frame{V: chat.ProtocolVersion, Type: chat.FrameError, Code: chat.CodeUnavailable, ID: id,
			Reason: "could not store the message now; retry with the same id"})
		return
	}
	tracing.SpanFrom(ctx).SetAttr("kefu.result", "accepted")
	s.release(chat.Frame{V: chat.ProtocolVersion, Type: chat.FrameAccepted, ID: id, ConversationID: conv})
}

// deliver queues a frame from central (a reply or an event). id "" is never
// deduplicated.
func (s *session) deliver(id string, typ chat.FrameType, b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.replaying || s.holding {
		s.pending = append(s.pending, pendingFrame{id: id, typ: typ, b: b})
		return
	}
	if id != "" && !s.seen.add(id) {
		return
	}
	s.enqueue(typ, b)
}

func (s *session) send(f chat.Frame) { s.enqueue(f.Type, encodeFrame(f)) }

func (s *session) sendError(code, id, reason string, maxText int) {
	s.n.m.errors.WithLabelValues(code).Inc()
	s.send(chat.Frame{V: chat.ProtocolVersion, Type: chat.FrameError, Code: code, ID: id, Reason: reason, MaxText: maxText})
}

// enqueue hands a frame to the writer without blocking; a client that lets
// SendQueue frames pile up is disconnected (it resumes on reconnect).
func (s *session) enqueue(typ chat.FrameType, b []byte) { s.push(outFrame{typ: typ, b: b}) }

// push queues f. The frames of a history replay do not count against
// SendQueue: a replay is bounded by historyLimit and sent at once, so a
// history longer than the queue would otherwise close every resume as a
// slow consumer, and the client would resume into the same close forever.
func (s *session) push(f outFrame) {
	select {
	case <-s.done:
		return
	default:
	}
	s.qmu.Lock()
	if !f.replay && len(s.queue)-s.replays >= s.n.cfg.SendQueue {
		s.qmu.Unlock()
		s.n.m.errors.WithLabelValues("slow_consumer").Inc()
		s.shutdown(websocket.ClosePolicyViolation, "slow consumer: send queue full; reconnect and resume")
		return
	}
	s.queue = append(s.queue, f)
	if f.replay {
		s.replays++
	}
	s.qmu.Unlock()
	s.n.m.framesOut.WithLabelValues(string(f.typ)).Inc()
	select {
	case s.wake <- struct{}{}:
	default: // the writer is awake already
	}
}

// dequeue moves the oldest queued frames to dst, at least one and up to
// writeBatch bytes, and returns it; none when the queue is empty. An
// emptied queue gives its array back, so an idle connection holds none.
func (s *session) dequeue(dst [][]byte) [][]byte {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	n, size := 0, 0
	for n < len(s.queue) && (n == 0 || size+len(s.queue[n].b) <= writeBatch) {
		f := s.queue[n]
		dst, size = append(dst, f.b), size+len(f.b)
		if f.replay {
			s.replays--
		}
		s.queue[n] = outFrame{}
		n++
	}
	s.queue = s.queue[n:]
	if len(s.queue) == 0 {
		s.queue = nil
	}
	return dst
}

func (s *session) closing() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// shutdown starts the closing handshake with code and reason; the writer
// flushes the queued frames first. Safe to call from any goroutine, many times.
func (s *session) shutdown(code int, reason string) {
	s.once.Do(func() {
		s.closeCode, s.closeWhy = code, reason
		close(s.done)
	})
}

func (s *session) writeLoop() {
	defer close(s.writerDone)
	t := time.NewTicker(s.n.cfg.PingInterval)
	defer t.Stop()
	var batch [][]byte
	// next takes and writes the oldest queued frames holding wmu, so that
	// release sees a frame either queued or written, never in between.
	next := func() (written, ok bool) {
		s.wmu.Lock()
		defer s.wmu.Unlock()
		batch = s.dequeue(batch[:0])
		if len(batch) == 0 {
			return false, false
		}
		err := s.write(batch)
		clear(batch) // no frame kept past its write
		return err == nil, true
	}
	for {
		select {
		case <-s.wake:
			for written, ok := next(); ok; written, ok = next() {
				if !written {
					s.shutdown(websocket.CloseAbnormalClosure, "")
					_ = s.conn.SetReadDeadline(time.Now()) // wake the reader
					return
				}
			}
		case <-t.C:
			if err := s.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				s.shutdown(websocket.CloseAbnormalClosure, "")
				_ = s.conn.SetReadDeadline(time.Now())
				return
			}
		case <-s.done:
			s.wmu.Lock() // after a write of the read loop's in progress; it queues from now on
			defer s.wmu.Unlock()
			for batch = s.dequeue(batch[:0]); len(batch) > 0; batch = s.dequeue(batch[:0]) {
				if s.write(batch) != nil {
					break
				}
			}
			if s.closeCode != websocket.CloseAbnormalClosure {
				_ = s.conn.WriteControl(websocket.CloseMessage,
					websocket.FormatCloseMessage(s.closeCode, s.closeWhy), time.Now().Add(writeWait))
			}
			_ = s.conn.SetReadDeadline(time.Now().Add(closeGrace))
			return
		}
	}
}

// tokenBucket is a per-connection rate limiter; only the read loop uses it.
type tokenBucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func newTokenBucket(rate float64, burst int, now time.Time) tokenBucket {
	return tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

func (b *tokenBucket) allow(now time.Time) bool {
	b.tokens += now.Sub(b.last).Seconds() * b.rate
	if b.tokens > b.burst {
		b.tokens = b.burst
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// idSet remembers the last max ids sent on a connection. It allocates
// nothing until the first id and grows with use, so an idle connection
// costs a few words (a full one ~1,024 ids was ~72 KiB up front).
type idSet struct {
	max  int
	ids  map[string]struct{}
	ring []string
	next int
}

func newIDSet(n int) idSet { return idSet{max: n} }

// add records id and reports whether it was new. It keeps a copy: an id
// read from a message points into the whole decoded envelope or frame
// (chat's decoders slice one string), which a connection would otherwise
// keep alive for each of its last seenCapacity ids.
func (s *idSet) add(id string) bool {
	if _, ok := s.ids[id]; ok {
		return false
	}
	id = strings.Clone(id)
	if s.ids == nil {
		s.ids = make(map[string]struct{})
	}
	if len(s.ring) < s.max {
		s.ring = append(s.ring, id)
	} else {
		delete(s.ids, s.ring[s.next])
		s.ring[s.next] = id
		s.next = (s.next + 1) % len(s.ring)
	}
	s.ids[id] = struct{}{}
	return true
}
