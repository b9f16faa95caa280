package edge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/chat/jsconfig"
	"github.com/kefu-io/kefu/edge/channels"
	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/internal/egress"
)

// Platform channels (edge/channels): the edge serves
// /channels/<kind>/<id> for every channel of the tenants it serves. A
// request is rate-limited (per channel and per tenant), verified and parsed
// by the kind's adapter, turned into the same Envelope the widget path
// makes (visitor chat.ChannelVisitor(channel, platform user), message id
// channels.MessageID(channel, platform id)), passed through the region's
// inbound plugins and published to JetStream like a widget message.
//
// Replies leave through the channel outbox (chat.StreamChannelOut): central
// puts every reply to a platform shopper there; the edges of the region
// consume it with a durable consumer and deliver through the platform's
// API, acknowledging after the platform accepted, retrying with backoff.
// WeChat can also take one reply in the HTTP response of the shopper's
// message: the edge waits up to PassiveWait for it, and the reply id is
// claimed in the chat.BucketChannelSent bucket so that it is delivered
// either passively or by the outbox, never both; the outbox leaves WeChat
// replies alone until that window has passed.

// ChannelSource looks up platform channel configurations by id.
// Implementations must be safe for concurrent use.
type ChannelSource interface {
	Channel(ctx context.Context, id string) (channels.Config, error)
}

// ErrUnknownChannel is returned by a ChannelSource for an id it lacks.
var ErrUnknownChannel = errors.New("edge: unknown channel")

// ChannelOptions configures the platform channels of a Node.
type ChannelOptions struct {
	// Source finds a channel's configuration. Default: central's bucket
	// chat.BucketChannels, watched (edge/chkv.go), asking central over NATS
	// (chat.SubjectChannelLookup) until it has been read.
	Source ChannelSource
	// Cache is a file where the edge keeps the channel configuration last
	// read from the bucket (secrets included; mode 0600), for a start while
	// central is unreachable. Default: none.
	Cache string
	// CacheTTL is how long a looked-up configuration is used before it is
	// asked again (a changed secret applies within it). Default: 30s.
	CacheTTL time.Duration
	// HTTPClient makes the platform API calls. Default: 10s timeout, and
	// no loopback, private or link-local destination unless
	// AllowPrivateURLs (internal/egress: channel API base URLs and a
	// merchant's webhook-channel URL are configuration a tenant admin
	// writes, so they must not reach the edge's own network).
	HTTPClient *http.Client
	// AllowPrivateURLs lets the default HTTPClient reach private
	// addresses: tests' platform stand-ins and local setups (`kefu dev`,
	// `kefu edge --allow-private-urls`).
	AllowPrivateURLs bool
	// PassiveWait is how long a WeChat message waits for central's answer
	// to put it in the HTTP response (WeChat allows 5 s). Default: 4s.
	PassiveWait time.Duration
	// Rate and Burst limit requests per channel (token bucket, per second).
	// Default: 100 per second, burst 200.
	Rate  float64
	Burst int
	// TenantRate and TenantBurst limit requests over all of a tenant's
	// channels. Default: 200 per second, burst 400.
	TenantRate  float64
	TenantBurst int
	// SMTPRelay is the relay (host:port) e-mail replies are sent through.
	// Default: none; e-mail replies wait in the outbox and are retried.
	SMTPRelay string
	// SMTPRelayUser and SMTPRelayPassword authenticate at the relay (AUTH
	// PLAIN after STARTTLS). Default: no AUTH.
	SMTPRelayUser, SMTPRelayPassword string
	// SMTPRelayRequireTLS refuses a relay that offers no STARTTLS (replies
	// wait in the outbox). Default: STARTTLS whenever offered.
	SMTPRelayRequireTLS bool
	// AttachmentDir keeps the attachments of inbound e-mail, under
	// <dir>/<channel>/<message id>/ (they stay in the region). Default:
	// none, attachments are named in the text but not kept.
	AttachmentDir string
	// RetryBase is the first delay of the outbox's retry backoff (doubling
	// per attempt, at most 10 minutes). Default: 2s.
	RetryBase time.Duration
}

func (o ChannelOptions) withDefaults(nc *nats.Conn, timeout time.Duration) ChannelOptions {
	if o.CacheTTL <= 0 {
		o.CacheTTL = 30 * time.Second
	}
	if o.Source == nil {
		o.Source = &kvChannels{fallback: natsChannels{nc: nc, timeout: timeout}}
	}
	if o.HTTPClient == nil {
		o.HTTPClient = egress.Client(10*time.Second, o.AllowPrivateURLs, nil)
	}
	if o.PassiveWait <= 0 {
		o.PassiveWait = 4 * time.Second
	}
	if o.Rate <= 0 {
		o.Rate = 100
	}
	if o.Burst <= 0 {
		o.Burst = 200
	}
	if o.TenantRate <= 0 {
		o.TenantRate = 200
	}
	if o.TenantBurst <= 0 {
		o.TenantBurst = 400
	}
	if o.RetryBase <= 0 {
		o.RetryBase = 2 * time.Second
	}
	return o
}

// natsChannels asks central.
type natsChannels struct {
	nc      *nats.Conn
	timeout time.Duration
}

func (s natsChannels) Channel(ctx context.Context, id string) (channels.Config, error) {
	return s.lookup(ctx, chat.ChannelLookup{ID: id}, id)
}

func (s natsChannels) lookup(ctx context.Context, q chat.ChannelLookup, id string) (channels.Config, error) {
	var cfg channels.Config
	req, _ := json.Marshal(q)
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	m, err := s.nc.RequestWithContext(ctx, chat.SubjectChannelLookup, req)
	if err != nil {
		return cfg, fmt.Errorf("edge: channel %q lookup: %w", id, err)
	}
	var rep chat.ChannelLookupReply
	if err := json.Unmarshal(m.Data, &rep); err != nil {
		return cfg, fmt.Errorf("edge: channel %q lookup: %w", id, err)
	}
	switch rep.Error {
	case "":
	case "not_found":
		return cfg, fmt.Errorf("%w: %q", ErrUnknownChannel, id)
	default:
		return cfg, fmt.Errorf("edge: channel %q lookup: %s", id, rep.Error)
	}
	if err := json.Unmarshal(rep.Config, &cfg); err != nil {
		return cfg, fmt.Errorf("edge: channel %q config: %w", id, err)
	}
	return cfg, nil
}

// ChannelByAddress implements AddressSource.
func (s natsChannels) ChannelByAddress(ctx context.Context, kind, address string) (channels.Config, error) {
	return s.lookup(ctx, chat.ChannelLookup{Kind: kind, Address: address}, address)
}

// AddressSource is a ChannelSource that also finds channels by address
// (the e-mail channel of a recipient).
type AddressSource interface {
	ChannelByAddress(ctx context.Context, kind, address string) (channels.Config, error)
}

// channelState is a Node's platform-channel machinery.
type channelState struct {
	opt      ChannelOptions
	adapters map[string]channels.Adapter

	cacheMu sync.Mutex
	cache   map[string]cachedChannel

	limitMu sync.Mutex
	limits  map[string]*tokenBucket

	waitMu  sync.Mutex
	waiters map[string]chan chat.Envelope

	kvMu    sync.Mutex
	kv      jetstream.KeyValue
	streamM sync.Mutex
	stream  bool
	consume jetstream.ConsumeContext
	sem     chan struct{}
}

type cachedChannel struct {
	cfg channels.Config
	err error
	exp time.Time
}

func (n *Node) initChannels() {
	o := n.cfg.Channels.withDefaults(n.nc, n.cfg.HistoryTimeout)
	cs := &channelState{opt: o, adapters: map[string]channels.Adapter{}, cache: map[string]cachedChannel{},
		limits: map[string]*tokenBucket{}, waiters: map[string]chan chat.Envelope{}, sem: make(chan struct{}, 8)}
	for _, k := range channels.Kinds() {
		cs.adapters[k] = channels.For(k, o.HTTPClient)
	}
	if e, ok := cs.adapters[channels.KindEmail].(*channels.Email); ok {
		e.Relay, e.Username, e.Password, e.RequireTLS = o.SMTPRelay, o.SMTPRelayUser, o.SMTPRelayPassword, o.SMTPRelayRequireTLS
	}
	n.ch = cs
}

// lookupChannel returns a channel's configuration through the cache.
// Unknown ids are cached for a few seconds so random ids cannot flood central.
func (n *Node) lookupChannel(ctx context.Context, id string) (channels.Config, error) {
	cs := n.ch
	now := time.Now()
	cs.cacheMu.Lock()
	c, ok := cs.cache[id]
	cs.cacheMu.Unlock()
	if ok && now.Before(c.exp) {
		return c.cfg, c.err
	}
	cfg, err := cs.opt.Source.Channel(ctx, id)
	switch {
	case err == nil:
		if cfg.ID == "" {
			cfg.ID = id
		}
		c = cachedChannel{cfg: cfg, exp: now.Add(cs.opt.CacheTTL)}
	case errors.Is(err, ErrUnknownChannel):
		c = cachedChannel{err: err, exp: now.Add(5 * time.Second)}
	default:
		return cfg, err // not cached: central may be back in a moment
	}
	cs.cacheMu.Lock()
	if len(cs.cache) > 10_000 {
		clear(cs.cache)
	}
	cs.cache[id] = c
	cs.cacheMu.Unlock()
	return c.cfg, c.err
}

// allowChannel takes a token from the channel's and the tenant's buckets.
func (n *Node) allowChannel(cfg channels.Config, now time.Time) bool {
	cs := n.ch
	cs.limitMu.Lock()
	defer cs.limitMu.Unlock()
	bucket := func(key string, rate float64, burst int) *tokenBucket {
		b := cs.limits[key]
		if b == nil {
			if len(cs.limits) > 100_000 {
				clear(cs.limits)
			}
			nb := newTokenBucket(rate, burst, now)
			b = &nb
			cs.limits[key] = b
		}
		return b
	}
	cb := bucket("c\x00"+cfg.ID, cs.opt.Rate, cs.opt.Burst)
	tb := bucket("t\x00"+cfg.Tenant, cs.opt.TenantRate, cs.opt.TenantBurst)
	if !cb.allow(now) {
		return false
	}
	if !tb.allow(now) {
		cb.tokens++ // refused by the tenant's bucket: the channel's token is not spent
		return false
	}
	return true
}

// serveChannel handles /channels/:kind/:id.
func (n *Node) serveChannel(c *fiber.Ctx) error {
	kind, id := c.Params("kind"), c.Params("id")
	start := time.Now()
	refuse := func(status int, code, reason string) error {
		n.m.channelRequests.WithLabelValues(kindLabel(kind), code).Inc()
		n.log.Warn("edge: channel request refused", "kind", clip(kind), "channel", clip(id), "status", status, "code", code, "reason", reason)
		return jsonError(c, status, code, reason)
	}
	ad := n.ch.adapters[kind]
	if ad == nil || !chat.ValidID(id) {
		return refuse(fiber.StatusNotFound, "unknown_channel", "no such channel")
	}
	if len(c.Body()) > channels.MaxBody {
		return refuse(fiber.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body over %d bytes", channels.MaxBody))
	}
	cfg, err := n.lookupChannel(c.Context(), id)
	if errors.Is(err, ErrUnknownChannel) || (err == nil && cfg.Kind != kind) {
		return refuse(fiber.StatusNotFound, "unknown_channel", "no such channel")
	}
	if err != nil {
		n.log.Error("edge: channel lookup failed", "channel", id, "err", err)
		return refuse(fiber.StatusServiceUnavailable, "unavailable", "channel configuration unavailable; retry")
	}
	if !n.allowChannel(cfg, start) {
		c.Set(fiber.HeaderRetryAfter, "1")
		return refuse(fiber.StatusTooManyRequests, "rate_limited", "too many requests for this channel or tenant")
	}
	q, err := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return refuse(fiber.StatusBadRequest, "bad_request", "malformed query string")
	}
	h := http.Header{}
	c.Request().Header.VisitAll(func(k, v []byte) { h.Add(string(k), string(v)) })
	req := channels.Request{Method: c.Method(), Query: q, Header: h, Body: c.Body(), Now: start}
	res, err := ad.Handle(cfg, req)
	if err != nil {
		if e, ok := errors.AsType[*channels.Error](err); ok {
			return refuse(e.Status, e.Code, e.Reason)
		}
		return refuse(fiber.StatusBadRequest, "bad_request", err.Error())
	}
	var commit func() // saves a pull cursor once the messages are published
	if res.Pull != nil {
		puller, ok := ad.(channels.Puller)
		if !ok {
			return refuse(fiber.StatusInternalServerError, "internal", "notice from a kind that cannot pull")
		}
		msgs, save, err := n.pullChannel(c.Context(), cfg, puller, *res.Pull)
		if err != nil {
			n.log.Warn("edge: channel pull failed", "channel", cfg.ID, "err", err)
			return refuse(fiber.StatusServiceUnavailable, "unavailable", "could not read the messages now; retry")
		}
		res.Messages, commit = msgs, save
		if len(msgs) == 0 {
			commit()
			status, ct, body := ad.Ack(cfg, nil)
			c.Set(fiber.HeaderContentType, ct)
			return c.Status(status).Send(body)
		}
	}
	if len(res.Messages) == 0 {
		n.m.channelRequests.WithLabelValues(kind, "handshake").Inc()
		c.Set(fiber.HeaderContentType, res.ContentType)
		return c.Status(res.Status).Send(res.Body)
	}
	passive, _ := ad.(channels.Passive)
	if len(res.Messages) != 1 || !res.PassiveOK {
		passive = nil
	}
	var waitFor string
	var wait chan chat.Envelope
	var edgeReply *chat.Message
	for _, in := range res.Messages {
		env, answer, ok, err := n.channelEnvelope(c.Context(), cfg, kind, in)
		if err != nil {
			return refuse(fiber.StatusServiceUnavailable, "unavailable", "could not take the message now; retry")
		}
		if !ok {
			continue // dropped by a plugin: acknowledged, not stored
		}
		if passive != nil && answer == nil {
			waitFor = env.Message.ID
			wait = n.ch.wait(cfg.Tenant, waitFor)
			defer n.ch.unwait(cfg.Tenant, waitFor)
		}
		if err := n.publish(c.Context(), &env); err != nil {
			n.log.Warn("edge: channel message not accepted", "channel", cfg.ID, "id", env.Message.ID, "err", err)
			return refuse(fiber.StatusServiceUnavailable, "unavailable", "could not store the message now; retry")
		}
		n.m.channelRequests.WithLabelValues(kind, "accepted").Inc()
		if answer != nil {
			if passive != nil {
				edgeReply = answer
			} else if err := n.queueChannelReply(c.Context(), env, *answer); err != nil {
				n.log.Error("edge: plugin answer not queued", "channel", cfg.ID, "id", answer.ID, "err", err)
			}
		}
	}
	if commit != nil {
		commit()
	}
	if passive != nil {
		in := res.Messages[0]
		reply, ok := n.passiveReply(c.Context(), cfg, in, wait, edgeReply, start)
		if ok {
			ct, body, err := passive.PassiveReply(cfg, in, reply.Text, time.Now())
			if err == nil {
				n.m.channelPassive.Observe(time.Since(start).Seconds())
				c.Set(fiber.HeaderContentType, ct)
				return c.Status(fiber.StatusOK).Send(body)
			}
			n.log.Error("edge: passive reply", "channel", cfg.ID, "err", err)
		}
	}
	status, ct, body := ad.Ack(cfg, res.Messages)
	c.Set(fiber.HeaderContentType, ct)
	return c.Status(status).Send(body)
}

// pullChannel reads the messages behind a notice from the cursor kept in
// chat.BucketChannelCursors; save stores the new cursor and is to be called
// only once the messages are published (a failure leaves the cursor, and
// the platform's retry of the notice reads them again: ids deduplicate).
func (n *Node) pullChannel(ctx context.Context, cfg channels.Config, p channels.Puller, req channels.PullRequest) (msgs []channels.Inbound, save func(), err error) {
	kv, err := n.channelCursors(ctx)
	if err != nil {
		return nil, nil, err
	}
	key := n.cursorKey("c", cfg.ID, chat.SubjectToken(req.Account))
	var cursor string
	if e, err := kv.Get(ctx, key); err == nil {
		cursor = string(e.Value())
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil, err
	}
	msgs, next, err := p.Pull(ctx, cfg, req, cursor)
	if err != nil {
		return nil, nil, err
	}
	save = func() {
		if next != cursor {
			if _, err := kv.Put(context.WithoutCancel(ctx), key, []byte(next)); err != nil {
				n.log.Warn("edge: channel cursor not saved", "channel", cfg.ID, "err", err)
			}
		}
	}
	return msgs, save, nil
}

func (n *Node) channelCursors(ctx context.Context) (jetstream.KeyValue, error) {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.PublishTimeout)
	defer cancel()
	kv, err := n.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: chat.BucketChannelCursors, Storage: jetstream.FileStorage,
		Description: "pull cursors of platform channels (WeCom sync_msg)"})
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = n.js.KeyValue(ctx, chat.BucketChannelCursors)
	}
	if err != nil {
		return nil, fmt.Errorf("edge: bucket %s: %w", chat.BucketChannelCursors, err)
	}
	return kv, nil
}

// channelEnvelope builds the envelope of one platform message and runs the
// inbound plugins. ok is false when a plugin dropped it; answer is set when
// a plugin answered at the edge (the envelope then carries the answer
// labels, as on the widget path).
func (n *Node) channelEnvelope(ctx context.Context, cfg channels.Config, kind string, in channels.Inbound) (env chat.Envelope, answer *chat.Message, ok bool, err error) {
	at := time.Now().UTC()
	if !in.At.IsZero() && time.Since(in.At).Abs() < 24*time.Hour {
		at = in.At
	}
	text := in.Text
	if len(text) > n.cfg.MaxText { // a platform's long message: cut at a rune boundary
		cut := n.cfg.MaxText - len("…")
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "…"
	}
	user := in.User
	if channels.Pseudonymous(kind) {
		if user, err = n.pseudonym(ctx, cfg.ID, in.User); err != nil {
			return env, nil, false, err
		}
	}
	env = chat.Envelope{V: chat.ProtocolVersion, Tenant: cfg.Tenant, Region: n.cfg.Region, Channel: chat.Channel(kind),
		Visitor: chat.ChannelVisitor(cfg.ID, user), Direction: chat.Inbound,
		Message: chat.Message{ID: channels.MessageID(cfg.ID, in.PlatformID), Role: chat.RoleShopper, Text: text, At: at}}
	env.SetLabel(chat.LabelChannelID, cfg.ID)
	if kind == channels.KindEmail {
		// The sender's address joins a contact that verified it (chat/contact.go).
		env.SetLabel(chat.LabelEmailIdentity, chat.EmailIdentity(cfg.Tenant, in.User))
	}
	out, err := n.runPlugins(ctx, pluginhost.HookInbound, env)
	if err != nil {
		n.log.Error("edge: inbound plugins failed on a channel message", "channel", cfg.ID, "id", env.Message.ID, "err", err)
		return env, nil, false, err
	}
	for _, k := range chat.EdgeAnswerLabels {
		delete(out.Envelope.Labels, k)
	}
	env = out.Envelope
	switch out.Verdict {
	case pluginhost.Drop:
		n.log.Info("edge: channel message dropped by plugin", "channel", cfg.ID, "id", env.Message.ID, "plugin", out.Plugin, "reason", out.Reason)
		return env, nil, false, nil
	case pluginhost.Escalate:
		reason := out.Reason
		if reason == "" {
			reason = "plugin:" + out.Plugin
		}
		env.SetLabel(chat.LabelEscalate, reason)
	case pluginhost.Answer:
		if chat.ValidateText(out.Answer, chat.MaxTextBytes) == nil {
			plugin := out.Plugin
			if plugin == "" {
				plugin = "plugin"
			}
			a := chat.Message{ID: EdgeAnswerID(cfg.Tenant, env.Message.ID), Role: chat.RoleBot, Text: out.Answer,
				Source: chat.SourceEdge, ReplyTo: env.Message.ID, Author: plugin, At: time.Now().UTC()}
			env.SetLabel(LabelEdgeAnswerID, a.ID)
			env.SetLabel(LabelEdgeAnswerText, a.Text)
			env.SetLabel(LabelEdgeAnswerPlugin, plugin)
			answer = &a
		}
	}
	if err := env.Check(n.cfg.MaxText); err != nil {
		n.log.Error("edge: plugins left an invalid channel envelope", "channel", cfg.ID, "id", env.Message.ID, "err", err)
		return env, nil, false, err
	}
	return env, answer, true, nil
}

func waitKey(tenant, replyTo string) string { return tenant + "\x00" + replyTo }

func (cs *channelState) wait(tenant, id string) chan chat.Envelope {
	ch := make(chan chat.Envelope, 1)
	cs.waitMu.Lock()
	cs.waiters[waitKey(tenant, id)] = ch
	cs.waitMu.Unlock()
	return ch
}

func (cs *channelState) unwait(tenant, id string) {
	cs.waitMu.Lock()
	delete(cs.waiters, waitKey(tenant, id))
	cs.waitMu.Unlock()
}

// offer hands a reply from central's core NATS subject to the request
// waiting for it, if any.
func (cs *channelState) offer(env chat.Envelope) {
	if env.Message.ReplyTo == "" {
		return
	}
	cs.waitMu.Lock()
	ch := cs.waiters[waitKey(env.Tenant, env.Message.ReplyTo)]
	cs.waitMu.Unlock()
	if ch != nil {
		select {
		case ch <- env:
		default: // one passive reply only; the rest go through the outbox
		}
	}
}

// passiveReply waits for the answer to a WeChat message within the passive
// window and claims it; ok is false when nothing came in time or the
// outbox has it.
func (n *Node) passiveReply(ctx context.Context, cfg channels.Config, in channels.Inbound, wait chan chat.Envelope, edgeAnswer *chat.Message, start time.Time) (chat.Message, bool) {
	var env chat.Envelope
	if edgeAnswer != nil {
		env = chat.Envelope{V: chat.ProtocolVersion, Tenant: cfg.Tenant, Region: n.cfg.Region, Channel: chat.Channel(cfg.Kind),
			Visitor: chat.ChannelVisitor(cfg.ID, in.User), Direction: chat.Outbound, Message: *edgeAnswer}
	} else {
		t := time.NewTimer(n.ch.opt.PassiveWait - time.Since(start))
		defer t.Stop()
		select {
		case env = <-wait:
		case <-t.C:
			n.m.channelPassiveMiss.Inc()
			return chat.Message{}, false
		case <-ctx.Done():
			return chat.Message{}, false
		}
	}
	msg, ok := n.outboundMessage(ctx, env)
	if !ok {
		return chat.Message{}, false
	}
	kv, err := n.channelSent(ctx)
	if err != nil {
		n.log.Warn("edge: passive reply skipped; sent-bucket unavailable", "err", err)
		return chat.Message{}, false
	}
	if _, err := kv.Create(ctx, msg.ID, []byte("passive")); err != nil {
		return chat.Message{}, false // claimed already (a platform retry, or the outbox)
	}
	return msg, true
}

// channelSent opens (creating if needed) the bucket of delivered replies.
func (n *Node) channelSent(ctx context.Context) (jetstream.KeyValue, error) {
	cs := n.ch
	cs.kvMu.Lock()
	defer cs.kvMu.Unlock()
	if cs.kv != nil {
		return cs.kv, nil
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.PublishTimeout)
	defer cancel()
	kv, err := n.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: chat.BucketChannelSent, TTL: 24 * time.Hour,
		Storage: jetstream.FileStorage, Description: "replies delivered to platform channels (key: reply id)"})
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = n.js.KeyValue(ctx, chat.BucketChannelSent)
	}
	if err != nil {
		return nil, fmt.Errorf("edge: bucket %s: %w", chat.BucketChannelSent, err)
	}
	cs.kv = kv
	return kv, nil
}

// channelOutStream makes sure the channel outbox stream exists (central
// declares the same; neither updates the other's).
func (n *Node) channelOutStream(ctx context.Context) error {
	cs := n.ch
	cs.streamM.Lock()
	defer cs.streamM.Unlock()
	if cs.stream {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.PublishTimeout)
	defer cancel()
	// In central's domain: a leaf edge has no outbox of its own (a second
	// stream on the same subjects would capture each reply twice).
	js, err := n.centralJS()
	if err != nil {
		return err
	}
	_, err = js.CreateStream(ctx, jsconfig.Stream(chat.ChannelOutStream()))
	if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return fmt.Errorf("edge: stream %s: %w", chat.StreamChannelOut, err)
	}
	cs.stream = true
	return nil
}

// queueChannelReply puts an edge-made reply (a plugin's answer) into the
// channel outbox, like central does with its replies.
func (n *Node) queueChannelReply(ctx context.Context, in chat.Envelope, m chat.Message) error {
	if err := n.channelOutStream(ctx); err != nil {
		return err
	}
	out := chat.Envelope{V: chat.ProtocolVersion, Tenant: in.Tenant, Region: in.Region, Channel: in.Channel,
		Visitor: in.Visitor, Direction: chat.Outbound, Message: m}
	data, err := json.Marshal(out)
	if err != nil {
		return err
	}
	msg := nats.NewMsg(chat.ChannelOutVisitorSubject(in.Region, in.Tenant, in.Visitor))
	msg.Data = data
	ctx, cancel := context.WithTimeout(ctx, n.cfg.PublishTimeout)
	defer cancel()
	_, err = n.js.PublishMsg(ctx, msg, jetstream.WithMsgID(m.ID))
	return err
}

// startChannelOutbox starts the region's durable consumer of the channel
// outbox. A leaf edge consumes it in central's JetStream domain across its
// leaf link (replies come from central: they wait in central's stream
// while the link is down); until central's domain answers it retries in
// the background.
func (n *Node) startChannelOutbox(ctx context.Context) error {
	cc, err := n.consumeChannelOutbox(ctx)
	if err == nil {
		n.ch.consume = cc
	}
	if err == nil || n.cfg.Leaf == nil {
		return err
	}
	n.log.Warn("edge: channel outbox not reachable yet; retrying", "err", err)
	n.bg.Add(1)
	go func() {
		defer n.bg.Done()
		for {
			select {
			case <-n.ctx.Done():
				return
			case <-time.After(2 * time.Second):
			}
			if cc, err := n.consumeChannelOutbox(n.ctx); err == nil {
				n.log.Info("edge: channel outbox consumed in central's domain")
				<-n.ctx.Done()
				cc.Stop()
				return
			}
		}
	}()
	return nil
}

func (n *Node) consumeChannelOutbox(ctx context.Context) (jetstream.ConsumeContext, error) {
	if err := n.channelOutStream(ctx); err != nil {
		return nil, err
	}
	js, err := n.centralJS()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.PublishTimeout)
	defer cancel()
	cons, err := js.CreateOrUpdateConsumer(ctx, chat.StreamChannelOut, jetstream.ConsumerConfig{
		Durable:       chat.ConsumerChannels + chat.SubjectToken(n.cfg.Region),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       time.Minute,
		FilterSubject: chat.SubjectChannelOutPrefix + chat.SubjectToken(n.cfg.Region) + ".>",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 1000,
	})
	if err != nil {
		return nil, fmt.Errorf("edge: channel outbox consumer: %w", err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		n.ch.sem <- struct{}{}
		n.bg.Add(1)
		go func() {
			defer func() { <-n.ch.sem; n.bg.Done() }()
			n.onChannelOut(m)
		}()
	})
	if err != nil {
		return nil, fmt.Errorf("edge: channel outbox consume: %w", err)
	}
	return cc, nil
}

// onChannelOut delivers one reply from the outbox through its platform.
func (n *Node) onChannelOut(m jetstream.Msg) {
	var env chat.Envelope
	if err := json.Unmarshal(m.Data(), &env); err != nil || env.Check(maxOutboundText) != nil {
		n.log.Warn("edge: invalid channel outbox entry dropped", "subject", m.Subject(), "err", err)
		_ = m.Term()
		return
	}
	id := env.Message.ID
	chID, user, ok := chat.SplitChannelVisitor(env.Visitor)
	if !ok {
		n.log.Warn("edge: channel outbox entry without a channel visitor", "id", id)
		_ = m.Term()
		return
	}
	ctx, cancel := context.WithTimeout(n.ctx, 30*time.Second)
	defer cancel()
	attempt := 1
	if md, err := m.Metadata(); err == nil {
		attempt = int(md.NumDelivered)
	}
	retry := func(why string, err error) {
		d := n.ch.opt.RetryBase << min(attempt-1, 16)
		if d > 10*time.Minute || d <= 0 {
			d = 10 * time.Minute
		}
		n.m.channelOut.WithLabelValues(kindLabel(string(env.Channel)), "retry").Inc()
		n.log.Warn("edge: channel reply not delivered; will retry", "channel", chID, "id", id, "attempt", attempt, "in", d, "why", why, "err", err)
		_ = m.NakWithDelay(d)
	}
	cfg, err := n.lookupChannel(ctx, chID)
	if errors.Is(err, ErrUnknownChannel) {
		n.log.Warn("edge: reply for a deleted channel dropped", "channel", chID, "id", id)
		_ = m.Term()
		return
	}
	if err != nil {
		retry("lookup", err)
		return
	}
	ad := n.ch.adapters[cfg.Kind]
	if ad == nil {
		_ = m.Term()
		return
	}
	if channels.Pseudonymous(cfg.Kind) {
		real, err := n.realUser(ctx, cfg.ID, user)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			n.log.Warn("edge: reply to an unknown pseudonym dropped", "channel", chID, "id", id)
			_ = m.Term()
			return
		}
		if err != nil {
			retry("pseudonym", err)
			return
		}
		user = real
	}
	if _, passive := ad.(channels.Passive); passive && !env.Message.At.IsZero() {
		// Leave the reply to a waiting passive response first.
		if left := time.Until(env.Message.At.Add(n.ch.opt.PassiveWait + time.Second)); left > 0 {
			_ = m.NakWithDelay(left)
			return
		}
	}
	kv, err := n.channelSent(ctx)
	if err != nil {
		retry("sent bucket", err)
		return
	}
	if _, err := kv.Get(ctx, id); err == nil {
		n.m.channelOut.WithLabelValues(kindLabel(string(env.Channel)), "already_sent").Inc()
		_ = m.Ack()
		return
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		retry("sent bucket", err)
		return
	}
	msg, ok := n.outboundMessage(ctx, env)
	if !ok {
		_ = m.Ack()
		return
	}
	out := channels.Outbound{ID: msg.ID, User: user, Text: msg.Text, ReplyTo: msg.ReplyTo,
		ConversationID: msg.ConversationID, At: msg.At}
	if cfg.Kind == channels.KindEmail {
		out.Thread = n.loadThread(ctx, cfg.ID, user)
	}
	err = ad.Send(ctx, cfg, out)
	if err != nil {
		retry("send", err)
		return
	}
	if _, err := kv.Put(ctx, id, []byte("api")); err != nil {
		n.log.Warn("edge: sent mark", "id", id, "err", err)
	}
	n.m.channelOut.WithLabelValues(kindLabel(string(env.Channel)), "sent").Inc()
	_ = m.Ack()
}

func kindLabel(kind string) string {
	for _, k := range channels.Kinds() {
		if k == kind {
			return k
		}
	}
	return "unknown"
}

// cursorKey is the key of kind ("c" cursor, "t" thread, "u" pseudonym) for
// channelID in chat.BucketChannelCursors: under this edge's region, the
// only keys its NATS rights let it read or write (natsembed).
func (n *Node) cursorKey(kind, channelID, rest string) string {
	return chat.SubjectToken(n.cfg.Region) + "." + kind + "." + chat.SubjectToken(channelID) + "." + rest
}

func (n *Node) threadKey(channelID, user string) string {
	sum := sha256.Sum256([]byte(user))
	return n.cursorKey("t", channelID, hex.EncodeToString(sum[:16]))
}

// saveThread keeps the thread of a shopper's last message (e-mail
// headers) for the replies.
func (n *Node) saveThread(ctx context.Context, channelID string, in channels.Inbound) {
	if len(in.Thread) == 0 {
		return
	}
	kv, err := n.channelCursors(ctx)
	if err == nil {
		_, err = kv.Put(ctx, n.threadKey(channelID, in.User), in.Thread)
	}
	if err != nil {
		n.log.Warn("edge: thread not kept; the reply starts a new thread", "channel", channelID, "err", err)
	}
}

func (n *Node) loadThread(ctx context.Context, channelID, user string) []byte {
	kv, err := n.channelCursors(ctx)
	if err != nil {
		return nil
	}
	e, err := kv.Get(ctx, n.threadKey(channelID, user))
	if err != nil {
		return nil
	}
	return e.Value()
}

// acceptChannelMessages publishes the messages of a non-HTTP channel
// (e-mail), with plugin answers queued in the outbox; an error means none
// after the failing one was accepted and the sender should retry.
func (n *Node) acceptChannelMessages(ctx context.Context, cfg channels.Config, msgs []channels.Inbound) error {
	for _, in := range msgs {
		env, answer, ok, err := n.channelEnvelope(ctx, cfg, cfg.Kind, in)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		n.saveThread(ctx, cfg.ID, in) // before publishing: the reply may come at once
		if err := n.publish(ctx, &env); err != nil {
			return err
		}
		n.m.channelRequests.WithLabelValues(kindLabel(cfg.Kind), "accepted").Inc()
		if answer != nil {
			if err := n.queueChannelReply(ctx, env, *answer); err != nil {
				n.log.Error("edge: plugin answer not queued", "channel", cfg.ID, "id", answer.ID, "err", err)
			}
		}
	}
	return nil
}

// pseudonym records the personal platform user id user (an e-mail
// address, a phone number) under its pseudonym in KEFU_CHANNEL_CURSORS and
// returns the pseudonym, which is what leaves the edge.
func (n *Node) pseudonym(ctx context.Context, channelID, user string) (string, error) {
	p := channels.Pseudonym(channelID, user)
	kv, err := n.channelCursors(ctx)
	if err != nil {
		return "", err
	}
	key := n.cursorKey("u", channelID, p)
	if e, err := kv.Get(ctx, key); err == nil && string(e.Value()) == user {
		return p, nil
	}
	if _, err := kv.Put(ctx, key, []byte(user)); err != nil {
		return "", fmt.Errorf("edge: keep pseudonym: %w", err)
	}
	return p, nil
}

func (n *Node) realUser(ctx context.Context, channelID, p string) (string, error) {
	kv, err := n.channelCursors(ctx)
	if err != nil {
		return "", err
	}
	e, err := kv.Get(ctx, n.cursorKey("u", channelID, p))
	if err != nil {
		return "", err
	}
	return string(e.Value()), nil
}
