// Package minicentral is a small stand-in for central over NATS, for edge
// tests and `kefu bench edge`: it consumes KEFU_INBOUND with a durable
// consumer, keeps every conversation in memory (message id unique, like the
// real store), answers each new shopper message with an echo reply on the
// region's outbound subject and serves history requests. It also starts an
// embedded nats-server with JetStream on loopback.
package minicentral

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/chat/jsconfig"
)

// StartNATS runs a nats-server on 127.0.0.1 with a random port. With
// storeDir != "" JetStream is enabled and stores there; with "" it is off
// (EnableJetStream can turn it on later).
func StartNATS(storeDir string) (*server.Server, error) {
	opts := &server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true, ServerName: "kefu-test"}
	if storeDir != "" {
		opts.JetStream = true
		opts.StoreDir = storeDir
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("minicentral: new nats server: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, errors.New("minicentral: nats server not ready")
	}
	return s, nil
}

// Responder plays central. Safe for concurrent use.
type Responder struct {
	nc    *nats.Conn
	cc    jetstream.ConsumeContext
	hsub  *nats.Subscription
	reply func(chat.Envelope) string

	mu      sync.Mutex
	convs   map[string][]chat.Message // tenant\x00conversation → messages in order
	ids     map[string]bool
	inbound []chat.Envelope
	hold    bool
	held    []chat.Envelope
	cond    *sync.Cond
}

// Options configure a Responder.
type Options struct {
	// Reply makes the reply text for an inbound envelope; "" sends no reply.
	// Default: "echo: " + text.
	Reply func(chat.Envelope) string
	// Durable is the consumer name. Default: "minicentral".
	Durable string
}

// Start creates the stream (idempotently), the durable consumer and the
// history responder.
func Start(ctx context.Context, nc *nats.Conn, o Options) (*Responder, error) {
	if o.Reply == nil {
		o.Reply = func(e chat.Envelope) string { return "echo: " + e.Message.Text }
	}
	if o.Durable == "" {
		o.Durable = "minicentral"
	}
	r := &Responder{nc: nc, reply: o.Reply, convs: map[string][]chat.Message{}, ids: map[string]bool{}}
	r.cond = sync.NewCond(&r.mu)
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("minicentral: jetstream: %w", err)
	}
	st, err := jsconfig.EnsureInbound(ctx, js, 0)
	if err != nil {
		return nil, fmt.Errorf("minicentral: stream: %w", err)
	}
	cons, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: o.Durable, AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("minicentral: consumer: %w", err)
	}
	if r.hsub, err = nc.Subscribe(chat.SubjectHistory, r.onHistory); err != nil {
		return nil, fmt.Errorf("minicentral: history subscription: %w", err)
	}
	if r.cc, err = cons.Consume(r.onInbound); err != nil {
		_ = r.hsub.Unsubscribe()
		return nil, fmt.Errorf("minicentral: consume: %w", err)
	}
	if err := nc.FlushTimeout(10 * time.Second); err != nil {
		r.Stop()
		return nil, fmt.Errorf("minicentral: flush: %w", err)
	}
	return r, nil
}

// Stop ends consuming and answering.
func (r *Responder) Stop() {
	if r.cc != nil {
		r.cc.Stop()
	}
	if r.hsub != nil {
		_ = r.hsub.Unsubscribe()
	}
}

// Hold makes the responder store replies without publishing them until
// Release.
func (r *Responder) Hold() {
	r.mu.Lock()
	r.hold = true
	r.mu.Unlock()
}

// Release publishes the held replies and stops holding.
func (r *Responder) Release() error {
	r.mu.Lock()
	held := r.held
	r.held, r.hold = nil, false
	r.mu.Unlock()
	for _, e := range held {
		if err := r.publish(e); err != nil {
			return err
		}
	}
	return r.nc.Flush()
}

// Inbound returns the distinct inbound envelopes stored so far, in order.
func (r *Responder) Inbound() []chat.Envelope {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]chat.Envelope(nil), r.inbound...)
}

// WaitInbound waits until n distinct inbound envelopes are stored or ctx ends.
func (r *Responder) WaitInbound(ctx context.Context, n int) ([]chat.Envelope, error) {
	stop := context.AfterFunc(ctx, func() { r.mu.Lock(); r.cond.Broadcast(); r.mu.Unlock() })
	defer stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.inbound) < n {
		if ctx.Err() != nil {
			return append([]chat.Envelope(nil), r.inbound...), fmt.Errorf("minicentral: %d of %d inbound envelopes: %w", len(r.inbound), n, ctx.Err())
		}
		r.cond.Wait()
	}
	return append([]chat.Envelope(nil), r.inbound...), nil
}

// Messages returns the stored messages of a conversation.
func (r *Responder) Messages(tenant, conv string) []chat.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]chat.Message(nil), r.convs[tenant+"\x00"+conv]...)
}

func (r *Responder) onInbound(m jetstream.Msg) {
	var env chat.Envelope
	if err := json.Unmarshal(m.Data(), &env); err != nil || env.Check(0) != nil {
		_ = m.Term() // poison: never redeliver
		return
	}
	key := env.Tenant + "\x00" + env.Message.ConversationID
	r.mu.Lock()
	if r.ids[env.Message.ID] { // a redelivery: stored already
		r.mu.Unlock()
		_ = m.Ack()
		return
	}
	r.ids[env.Message.ID] = true
	r.inbound = append(r.inbound, env)
	r.convs[key] = append(r.convs[key], env.Message)
	r.cond.Broadcast()
	text := ""
	if env.Label(chat.LabelEdgeAnswerID) == "" { // a plugin at the edge answered already: record only, as central does
		text = r.reply(env)
	}
	var out chat.Envelope
	if text != "" {
		out = chat.Envelope{V: chat.ProtocolVersion, Tenant: env.Tenant, Region: env.Region, Channel: env.Channel,
			Visitor: env.Visitor, Direction: chat.Outbound,
			Message: chat.Message{ID: chat.NewID(), ConversationID: env.Message.ConversationID, Role: chat.RoleBot,
				Text: text, Source: chat.SourceCentral, ReplyTo: env.Message.ID, Lang: env.Message.Lang, At: time.Now().UTC()}}
		r.ids[out.Message.ID] = true
		r.convs[key] = append(r.convs[key], out.Message)
	}
	hold := r.hold
	if text != "" && hold {
		r.held = append(r.held, out)
	}
	r.mu.Unlock()
	if text != "" && !hold {
		_ = r.publish(out)
	}
	_ = m.Ack()
}

func (r *Responder) publish(e chat.Envelope) error {
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("minicentral: encode reply: %w", err)
	}
	if err := r.nc.Publish(chat.OutboundSubject(e.Region, e.Tenant), data); err != nil {
		return fmt.Errorf("minicentral: publish reply: %w", err)
	}
	return nil
}

// Say stores and publishes a message from an agent into a conversation, as
// central does when an agent replies.
func (r *Responder) Say(tenant, region, conv, text string) (chat.Message, error) {
	msg := chat.Message{ID: chat.NewID(), ConversationID: conv, Role: chat.RoleAgent, Text: text,
		Source: chat.SourceCentral, Author: "agent1", At: time.Now().UTC()}
	r.mu.Lock()
	r.ids[msg.ID] = true
	key := tenant + "\x00" + conv
	r.convs[key] = append(r.convs[key], msg)
	r.mu.Unlock()
	return msg, r.publish(chat.Envelope{V: chat.ProtocolVersion, Tenant: tenant, Region: region,
		Direction: chat.Outbound, Message: msg})
}

func (r *Responder) onHistory(m *nats.Msg) {
	var req chat.HistoryRequest
	var rep chat.HistoryReply
	if err := json.Unmarshal(m.Data, &req); err != nil {
		rep.Error = "bad request"
	} else {
		r.mu.Lock()
		msgs, ok := r.convs[req.Tenant+"\x00"+req.ConversationID]
		if !ok {
			rep.Error = "unknown conversation"
		}
		after := req.After == ""
		for _, msg := range msgs {
			if after {
				rep.Messages = append(rep.Messages, msg)
			} else if msg.ID == req.After {
				after = true
			}
		}
		if !after { // the id is not in this conversation: send everything
			rep.Messages = append([]chat.Message(nil), msgs...)
		}
		r.mu.Unlock()
	}
	data, _ := json.Marshal(rep)
	_ = m.Respond(data)
}
