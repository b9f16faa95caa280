package central

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"github.com/kefu-io/kefu/central/admin"
	"github.com/kefu-io/kefu/central/alert"
	"github.com/kefu-io/kefu/central/knowledge"
	"github.com/kefu-io/kefu/central/openapi"
	"github.com/kefu-io/kefu/central/router"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/chat/jsconfig"
	"github.com/kefu-io/kefu/internal/egress"
	"github.com/kefu-io/kefu/internal/metric"
	"github.com/kefu-io/kefu/internal/tracing"
)

// ConsumerName is the durable JetStream consumer every central replica
// shares (chat.ConsumerCentral).
const ConsumerName = chat.ConsumerCentral

// Classifier is a text model: it returns its best label and that label's
// score in [0,1]. Implementations must be safe for concurrent use.
type Classifier interface {
	Predict(text string) (label string, score float32)
}

// Config configures a Service; the package doc describes every field.
type Config struct {
	// NATS is the connection to the NATS system shared with the edges; the
	// Service does not close it. Required.
	NATS *nats.Conn
	// Store is the conversation store. Default: nil, the Service opens
	// PostgreSQL at PostgresDSN, else SQLite at DataDir/kefu.db (and closes
	// it on Close).
	Store store.Store
	// DataDir holds the SQLite file when Store and PostgresDSN are unset.
	// Default: "data".
	DataDir string
	// PostgresDSN opens PostgreSQL when Store is nil. Default: "", SQLite.
	PostgresDSN string

	// FAQ is the demo tenant's FAQ pack, indexed at start. Default: none.
	FAQ chat.FAQPack
	// MoreFAQ are further packs (other tenants) indexed at start. Default: none.
	MoreFAQ []chat.FAQPack
	// KnowledgeThreshold is the least knowledge-search score that answers.
	// Default: knowledge.DefaultThreshold (0.35).
	KnowledgeThreshold float64

	// Intent classifies shopper messages. Default: the shipped intent model
	// (ShippedIntent), unless NoShippedModels.
	Intent Classifier
	// LangID guesses the language of unlabelled messages. Default: the
	// shipped language-id model (ShippedLangID), unless NoShippedModels.
	LangID Classifier
	// Anger scores anger. Default: the shipped anger model (ShippedAnger),
	// unless NoShippedModels.
	Anger AngerScorer
	// NoShippedModels leaves nil models nil (tests). Default: false.
	NoShippedModels bool
	// IntentMinScore is the least model score for an intent to count. Default 0.5;
	// a handoff on the model's human intent alone needs at least 0.8.
	IntentMinScore float32

	// DemoTenant is the tenant created at start (the FAQ's). Default: "demo".
	DemoTenant string
	// DemoAgentEmail and DemoAgentPassword create (or update) an agent of
	// DemoTenant at start. Default: "", no agent.
	DemoAgentEmail    string
	DemoAgentPassword string
	// DemoAgentName is that agent's display name. Default: "Demo agent".
	DemoAgentName string

	// EdgeURLs maps an edge region to its base URL, for the console's
	// reveal requests (GET /v1/console/config). Default: none, the console
	// asks its own origin.
	EdgeURLs map[string]string

	// AutoErase lists the tenants whose shoppers' erasure requests are
	// carried out at once, without an agent; "*" means every tenant.
	// Default: none, an agent confirms (POST /v1/conversations/:id/erase).
	AutoErase []string

	// Settings reads tenant settings (cost.*, alert.*, analytics.*); nil: defaults.
	Settings SettingsReader
	// APIKeys verifies API keys (POST /v1/events); nil: agent tokens only.
	APIKeys KeyVerifier
	// SMTPAddr is the mail relay (host:port) for alert.email; "" disables e-mail alerts.
	SMTPAddr string
	// SMTPFrom is the sender of alert e-mails. Default kefu-alerts@localhost.
	SMTPFrom string

	// Webhooks tunes the outbound webhook dispatcher (webhooks.go).
	Webhooks WebhookConfig
	// AllowPrivateURLs lets webhooks and staff-alert URLs reach loopback,
	// private and link-local addresses (internal/egress: refused by
	// default against server-side request forgery). For tests and local
	// setups (`kefu dev`, `kefu central --allow-private-urls`).
	AllowPrivateURLs bool
	// SitePoll is how often the store's sites are compared with the edges'
	// bucket (siteconfig.go). Default: 1s.
	SitePoll time.Duration

	// Router tunes handoff and priority. Zero fields take router's
	// defaults (anger 0.7, 2 bot failures, SLA 5m).
	Router router.Config
	// WorkSettings, when set, returns a tenant's settings for the queue,
	// hours and translation (tests); otherwise the store's tenant settings
	// are read (worksettings.go).
	WorkSettings func(ctx context.Context, tenant string) (map[string]string, error)
	// Translator, when set, replaces the providers of the translate.*
	// settings (tests).
	Translator Translator
	// InboundBatch is the most shopper messages central pulls from
	// JetStream in one request and handles as one batch (consume.go).
	// Default: 256.
	InboundBatch int
	// InboundLanes is how many conversations of a batch are handled in
	// parallel (each conversation's messages in order). Default: 64 ×
	// GOMAXPROCS (a lane mostly waits for the store's group commit, and
	// the more lanes write at once, the more writes share a commit; with
	// 10,000 shoppers at 2,000 msg/s on 2 cores, 128 lanes answered more
	// per second than 32, and 256 no more than 128).
	InboundLanes int
	// StreamReplicas is the replica count of the JetStream streams and
	// key-value buckets central creates or updates (KEFU_INBOUND, the
	// channel outbox, erasures, the site, channel and knowledge-pack
	// buckets): 3 on a 3-node NATS cluster, so that losing one node loses
	// nothing and stops nothing. Default: 0, an existing stream keeps its
	// count and a new one gets 1 (a single server).
	StreamReplicas int
	// AckWait is how long JetStream waits for central's ack before
	// redelivering an inbound message. Default: 30s.
	AckWait time.Duration
	// GapInterval is how often each tenant's knowledge gaps are clustered
	// and every gap asked at least twice gets a suggested FAQ draft.
	// Default 5 minutes; negative: never (on demand only).
	GapInterval time.Duration
	// LocalLowScore is the widget's answer score below which a local
	// answer counts as unsure: its question is recorded as a knowledge
	// miss (reason local_low) and so feeds the gaps. Default 0.5; a
	// negative value records none.
	LocalLowScore float64
	// VacuumInterval is how often a PostgreSQL store's tables that hold
	// erased texts are vacuumed (store.Vacuumer; SQLite needs none).
	// Default: 1h; negative: never on a schedule.
	VacuumInterval time.Duration
	// VacuumAfterErasure is how long after a completed erasure those
	// tables are vacuumed (erasures in the meantime share one vacuum).
	// Default: 1 minute; negative: only on the schedule.
	VacuumAfterErasure time.Duration
	// VacuumFull runs VACUUM FULL instead of VACUUM: the tables are
	// rewritten, so no page keeps an erased text, at the cost of locking
	// each table while it is copied. Default: false.
	VacuumFull bool
	// TokenTTL is the lifetime of an agent's bearer token. Default: 12h.
	TokenTTL time.Duration
	// BcryptCost is the cost of agent password hashes. Default:
	// bcrypt.DefaultCost (10).
	BcryptCost int
	// Logger receives structured logs. Default: slog.Default().
	Logger *slog.Logger
	// Registerer receives the Service's Prometheus metrics (kefu_central_*,
	// kefu_alert_*). Default: nil, the metrics are counted but not exported.
	Registerer metric.Registerer
	// Tracer records a span of each inbound message central handles
	// (central.process, a child of the edge's publish span when the NATS
	// message carries a traceparent header) and of each reply it publishes,
	// whose header carries the trace back to the edge (package
	// internal/tracing). Default: nil, no traces.
	Tracer *tracing.Tracer

	// beforeAck, in tests, runs after processing and before the ack; an
	// error skips the ack (a simulated crash).
	beforeAck func(chat.Envelope) error
	// answeredEarly, in tests, runs when replyPlan answers a message
	// before it is stored.
	answeredEarly func(chat.Envelope)
}

// Sentinel errors of New.
var (
	ErrNoNATS = errors.New("central: no NATS connection")
)

// Service is a running central. It is safe for concurrent use.
type Service struct {
	erased    jetstream.KeyValue // chat.BucketErased (erased.go)
	hints     convHints          // conversations last seen held by a person (convhints.go)
	cfg       Config
	log       *slog.Logger
	m         *metrics
	st        store.Store
	ownsStore bool
	kb        *knowledge.Index
	rt        router.Router
	nc        *nats.Conn
	js        jetstream.JetStream
	// erasedView is the local copy of erased (erasedview.go).
	erasedView erasedView
	// feed holds the consoles' event subscriptions (consolefeed.go).
	feed consoleFeed
	// stopConsume ends consumeLoop (consume.go), which closes consumeDone.
	stopConsume context.CancelFunc
	consumeDone chan struct{}
	held        heldConversations // conversations waiting for a retry (consume.go)
	chains      convChains        // a conversation's groups across batches, in order (consume.go)
	batches     chan struct{}     // batches in flight (consume.go)
	lanes       chan laneJob      // to the Config.InboundLanes lane workers, shared by all batches (consume.go)
	subs        []*nats.Subscription
	hub         *hub
	logins      *loginGuard // login throttling (loginguard.go)
	kbs         *kbState
	qw          *queueWatch // queue.position (queue.go)
	spec        *openapi.Spec
	hooks       *dispatcher    // outbound webhooks (webhooks.go)
	sites       *sitePublisher // site configuration for the edges (siteconfig.go)
	admin       *admin.Service

	// statsMu serialises refreshStats in this replica.
	statsMu    sync.Mutex
	eventHooks []func(store.MerchantEvent)
	alerts     *alert.Sender
	alertWake  chan struct{}
	// vacuumWake tells the vacuum loop that an erasure completed (vacuum.go).
	vacuumWake chan struct{}
	// proactiveWake makes the proactive loop look now (proactive.go).
	proactiveWake chan struct{}
	// bg counts background loops (alert sender); shutdown waits for them.
	bg sync.WaitGroup

	inflight  sync.WaitGroup
	closeOnce sync.Once
	closed    chan struct{}
}

// New starts a Service: it opens the store, seeds the demo tenant and agent,
// indexes the FAQ packs, makes sure the inbound stream and the durable
// consumer exist, and starts consuming.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.NATS == nil {
		return nil, ErrNoNATS
	}
	if cfg.DataDir == "" {
		cfg.DataDir = "data"
	}
	if cfg.DemoTenant == "" {
		cfg.DemoTenant = "demo"
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 30 * time.Second
	}
	if cfg.InboundBatch <= 0 {
		cfg.InboundBatch = defaultInboundBatch
	}
	if cfg.InboundLanes <= 0 {
		cfg.InboundLanes = defaultInboundLanes()
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 12 * time.Hour
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = bcrypt.DefaultCost
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	edges, err := checkEdgeURLs(cfg.EdgeURLs)
	if err != nil {
		return nil, err
	}
	cfg.EdgeURLs = edges
	if cfg.IntentMinScore <= 0 {
		cfg.IntentMinScore = 0.5
	}
	if cfg.LocalLowScore == 0 {
		cfg.LocalLowScore = 0.5
	}
	if cfg.Intent == nil && !cfg.NoShippedModels {
		m, err := ShippedIntent()
		if err != nil {
			return nil, err
		}
		cfg.Intent = m
	}
	if cfg.LangID == nil && !cfg.NoShippedModels {
		m, err := ShippedLangID()
		if err != nil {
			return nil, err
		}
		cfg.LangID = m
	}
	if cfg.Anger == nil && !cfg.NoShippedModels {
		m, err := ShippedAnger()
		if err != nil {
			return nil, err
		}
		cfg.Anger = m
	}
	s := &Service{cfg: cfg, log: cfg.Logger.With("part", "central"), m: newMetrics(cfg.Registerer), nc: cfg.NATS, rt: router.New(cfg.Router),
		hub: newHub(), logins: newLoginGuard(), qw: newQueueWatch(), closed: make(chan struct{}), alertWake: make(chan struct{}, 1),
		proactiveWake: make(chan struct{}, 1), vacuumWake: make(chan struct{}, 1)}
	ok := false
	defer func() {
		if !ok {
			s.shutdown()
		}
	}()

	s.st = cfg.Store
	if s.st == nil {
		var err error
		if cfg.PostgresDSN != "" {
			s.st, err = store.OpenPostgres(ctx, cfg.PostgresDSN)
		} else {
			s.st, err = store.OpenSQLite(ctx, filepath.Join(cfg.DataDir, "kefu.db"))
		}
		if err != nil {
			return nil, fmt.Errorf("central: %w", err)
		}
		s.ownsStore = true
	}
	if s.cfg.Settings == nil {
		s.cfg.Settings = storeSettings{s.st}
	}
	if s.cfg.APIKeys == nil {
		s.cfg.APIKeys = storeKeys{s.st}
	}
	if err := s.seed(ctx); err != nil {
		return nil, err
	}
	if err := s.startAdmin(); err != nil {
		return nil, err
	}

	kb, err := knowledge.New(knowledge.Options{Threshold: cfg.KnowledgeThreshold})
	if err != nil {
		return nil, fmt.Errorf("central: %w", err)
	}
	s.kb = kb
	for _, p := range append([]chat.FAQPack{cfg.FAQ}, cfg.MoreFAQ...) {
		if len(p.Entries) == 0 {
			continue
		}
		if err := kb.Add(ctx, p); err != nil {
			return nil, fmt.Errorf("central: FAQ pack of %q: %w", p.Tenant, err)
		}
	}

	// The knowledge hub before anything that may answer: the consumer,
	// channels and hits all read s.kbs.
	js, err := jetstream.New(s.nc)
	if err != nil {
		return nil, fmt.Errorf("central: jetstream: %w", err)
	}
	s.js = js
	if err := s.startKnowledge(ctx); err != nil {
		return nil, err
	}

	// Console events: from every replica, through NATS, subscribed while
	// a console is connected here (consolefeed.go).
	sub, err := s.nc.QueueSubscribe(subjectHits+">", ConsumerName, s.onHits)
	if err != nil {
		return nil, fmt.Errorf("central: subscribe hits: %w", err)
	}
	s.subs = append(s.subs, sub)
	sub, err = s.nc.QueueSubscribe(chat.SubjectHistory, ConsumerName, s.onHistory)
	if err != nil {
		return nil, fmt.Errorf("central: subscribe history: %w", err)
	}
	s.subs = append(s.subs, sub)

	if err := s.startChannels(ctx); err != nil {
		return nil, err
	}
	if err := s.startWork(); err != nil {
		return nil, err
	}
	if err := s.startProactive(); err != nil { // proactive notices (proactive.go)
		return nil, err
	}
	s.startWebhooks()
	if err := s.startErasedBucket(ctx); err != nil { // before the consumer: it reads the bucket (erased.go)
		return nil, err
	}
	if err := s.startConsumer(ctx); err != nil {
		return nil, err
	}
	if err := s.startSitePublisher(ctx); err != nil {
		return nil, err
	}
	if err := s.startChannelPublisher(ctx); err != nil { // channelconfig.go
		return nil, err
	}
	s.alerts = alert.New(alert.Options{SMTPAddr: cfg.SMTPAddr, From: cfg.SMTPFrom,
		Client: egress.Client(5*time.Second, cfg.AllowPrivateURLs, nil)})
	s.bg.Add(1)
	go s.alertLoop()
	s.startVacuum()
	s.updateQueueDepth(ctx)
	ok = true
	return s, nil
}

// EnsureStream creates the inbound stream if it is missing, or updates it to
// the contract's settings (the edge calls the same on its side). The
// stream's sources are kept: leaf edges declare their regional streams
// there (edge.Leaf, docs/CONTRACTS.md).
func EnsureStream(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, error) {
	st, err := jsconfig.EnsureInbound(ctx, js, 0)
	if err != nil {
		return nil, fmt.Errorf("central: %w", err)
	}
	return st, nil
}

func (s *Service) startConsumer(ctx context.Context) error {
	js := s.js
	if _, err := jsconfig.EnsureInbound(ctx, js, s.cfg.StreamReplicas); err != nil {
		return fmt.Errorf("central: %w", err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, chat.StreamInbound, jetstream.ConsumerConfig{
		Durable:       ConsumerName,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.cfg.AckWait,
		FilterSubject: chat.SubjectInboundPrefix + ">",
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("central: consumer %s: %w", ConsumerName, err)
	}
	lctx, stop := context.WithCancel(context.Background())
	s.stopConsume, s.consumeDone = stop, make(chan struct{})
	s.batches = make(chan struct{}, maxBatchesInFlight)
	s.lanes = make(chan laneJob)
	for range max(1, s.cfg.InboundLanes) {
		go s.laneWorker()
	}
	go s.consumeLoop(lctx, cons)
	return nil
}

// seed creates the demo tenant and agent.
func (s *Service) seed(ctx context.Context) error {
	if err := s.st.PutTenant(ctx, store.Tenant{ID: s.cfg.DemoTenant, Name: "Demo shop"}); err != nil {
		return fmt.Errorf("central: seed tenant: %w", err)
	}
	if err := s.seedDemoSite(ctx); err != nil {
		return err
	}
	if s.cfg.DemoAgentEmail == "" || s.cfg.DemoAgentPassword == "" {
		return nil
	}
	if a, err := s.st.AgentByEmail(ctx, s.cfg.DemoTenant, s.cfg.DemoAgentEmail); err == nil &&
		bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte(s.cfg.DemoAgentPassword)) == nil {
		return nil // already there with this password
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(s.cfg.DemoAgentPassword), s.cfg.BcryptCost)
	if err != nil {
		return fmt.Errorf("central: hash demo password: %w", err)
	}
	name := s.cfg.DemoAgentName
	if name == "" {
		name = "Demo agent"
	}
	if _, err := s.st.PutAgent(ctx, store.Agent{Tenant: s.cfg.DemoTenant, Email: s.cfg.DemoAgentEmail, Name: name, PasswordHash: string(hash),
		Role: store.RoleOwner}); err != nil {
		return fmt.Errorf("central: seed agent: %w", err)
	}
	return nil
}

// Store returns the store the Service uses (for commands and tests).
func (s *Service) Store() store.Store { return s.st }

// Knowledge returns the knowledge index.
func (s *Service) Knowledge() *knowledge.Index { return s.kb }

// Close stops consuming, waits for the message in hand, and releases what
// the Service opened. It is safe to call more than once.
func (s *Service) Close() error {
	var err error
	s.closeOnce.Do(func() { err = s.shutdown() })
	return err
}

func (s *Service) shutdown() error {
	select {
	case <-s.closed:
	default:
		close(s.closed)
	}
	if s.stopConsume != nil {
		s.stopConsume()
		<-s.consumeDone // no batch taken after this; those in flight end below (inflight)
	}
	for _, sub := range s.subs {
		_ = sub.Unsubscribe()
	}
	s.feed.mu.Lock()
	s.feed.unsubscribe()
	s.feed.mu.Unlock()
	s.inflight.Wait()
	if s.lanes != nil {
		close(s.lanes) // no batch in flight sends to the lane workers any more
	}
	if s.hooks != nil {
		s.hooks.close()
	}
	if s.sites != nil {
		s.sites.close()
	}
	s.bg.Wait()
	s.hub.closeAll()
	var errs []error
	if s.kb != nil {
		errs = append(errs, s.kb.Close())
	}
	if s.kbs != nil {
		errs = append(errs, s.kbs.hub.Close())
	}
	if s.ownsStore && s.st != nil {
		errs = append(errs, s.st.Close())
	}
	return errors.Join(errs...)
}

func (s *Service) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// errNoVisitor refuses an envelope without a visitor.
var errNoVisitor = errors.New("central: envelope has no visitor")

// decodeEnvelope parses and checks an inbound envelope; why is the metric
// label of a refusal.
func decodeEnvelope(data []byte) (env chat.Envelope, why string, err error) {
	if err := chat.DecodeEnvelope(data, &env); err != nil { // json.Unmarshal without its reflection
		return chat.Envelope{}, "malformed envelope JSON", fmt.Errorf("central: decode envelope: %w", err)
	}
	if err := env.Check(0); err != nil {
		return chat.Envelope{}, "invalid envelope", fmt.Errorf("central: check envelope: %w", err)
	}
	if env.Visitor == "" {
		return chat.Envelope{}, "invalid envelope", errNoVisitor
	}
	if env.Direction != "" && env.Direction != chat.Inbound {
		return chat.Envelope{}, "invalid envelope", fmt.Errorf("central: envelope direction %q on the inbound stream", env.Direction)
	}
	if _, _, err := edgeAnswer(env); err != nil {
		return chat.Envelope{}, "invalid edge answer", err
	}
	return env, "", nil
}

// errEdgeAnswer refuses an envelope whose edge-answer labels are unusable.
var errEdgeAnswer = errors.New("central: bad edge answer labels")

// edgeAnswer returns the bot answer an edge plugin already sent to the
// shopper, from the envelope's labels; ok is false when the edge did not
// answer. ConversationID and Lang are left to the caller.
func edgeAnswer(env chat.Envelope) (m chat.Message, ok bool, err error) {
	id, answered := env.Labels[chat.LabelEdgeAnswerID]
	if !answered {
		return chat.Message{}, false, nil
	}
	m = chat.Message{ID: id, Role: chat.RoleBot, Source: chat.SourceEdge, Text: env.Label(chat.LabelEdgeAnswerText),
		Author: env.Label(chat.LabelEdgeAnswerPlugin), ReplyTo: env.Message.ID, At: env.Message.At}
	if m.Author == "" {
		m.Author = string(chat.SourceEdge)
	}
	if err := m.Validate(0); err != nil {
		return chat.Message{}, false, fmt.Errorf("%w: answer to %q: %w", errEdgeAnswer, env.Message.ID, err)
	}
	if id == env.Message.ID {
		return chat.Message{}, false, fmt.Errorf("%w: answer id %q is the message's own id", errEdgeAnswer, id)
	}
	return m, true, nil
}

func (s *Service) reject(m jetstream.Msg, why string, err error) {
	s.m.inboundRejected.WithLabelValues(why).Inc()
	s.log.Warn("inbound: rejected", "reason", why, "err", err, "subject", m.Subject(), "bytes", len(m.Data()))
	_ = m.Term()
}

// derivedID makes the id of a message central writes in answer to the
// shopper message id (kind "r" = bot reply, "h" = handoff note): the same
// input gives the same id, on any replica, after any crash.
func derivedID(kind, tenant, id string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + tenant + "\x00" + id))
	return kind + strings.ToUpper(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:16]))
}

// process stores, routes and answers one inbound envelope.
func (s *Service) process(ctx context.Context, env chat.Envelope) error {
	if env.Label(chat.LabelCSAT) != "" {
		return s.csatInbound(ctx, env) // a rating, not a message (work.go)
	}
	msg := env.Message
	msg.Role, msg.Source, msg.Author = chat.RoleShopper, "", ""
	// Vault tokens come from the edge's plugins, never from the client.
	msg.PII = chat.ParsePIITokens(env.Label(chat.LabelPIITokens), env.Region)
	if msg.Lang == "" && env.Label(chat.LabelCallback) != "" {
		// A contact (an e-mail, a phone number) says nothing of the
		// shopper's language: the conversation's stays, and the
		// confirmation is in it (langid took an address for French).
		if c, err := s.st.LatestConversation(ctx, env.Tenant, env.Visitor); err == nil && c.Lang != "" {
			msg.Lang = c.Lang
		}
	}
	s.annotate(&msg)
	if msg.At.IsZero() {
		msg.At = time.Now()
	}
	if err := s.mergeVisitor(ctx, env); err != nil { // contacts.go
		return err
	}
	route, err := s.resolveContact(ctx, &env) // contacts.go: one customer across channels
	if err != nil {
		return err
	}
	stampChannel(env, &msg)
	in := store.Inbound{Tenant: env.Tenant, Visitor: env.Visitor, Channel: env.Channel, Region: env.Region,
		VIP: env.Label(chat.LabelVIP) == "1", Message: msg, Route: route}
	in.Message.Attachments = nil // stored below (photos.go)
	var photos []chat.Attachment
	if len(env.Message.Attachments) > 0 {
		if photos, err = cleanPhotos(env); err != nil {
			return err
		}
	}
	plan, bot := s.replyPlan(ctx, env, msg)
	saved, err := s.st.SaveInboundReply(ctx, in, plan)
	if err != nil {
		return err
	}
	conv, created, stored := saved.Conversation, saved.Created, saved.Stored
	s.hints.seen(env, conv)
	msg.ConversationID = conv.ID
	if len(photos) > 0 {
		if msg.Attachments, err = s.keepPhotos(ctx, env, conv.ID, photos, stored); err != nil {
			return err
		}
	}
	if stored {
		s.m.messagesStored.WithLabelValues(string(chat.RoleShopper)).Inc()
		if created {
			s.emit(chat.Event{Type: chat.EventOpened, Tenant: conv.Tenant, ConversationID: conv.ID, Visitor: conv.Visitor})
		}
		s.emit(chat.Event{Type: chat.EventMessage, Tenant: conv.Tenant, ConversationID: conv.ID, Visitor: conv.Visitor, Message: &msg})
		s.maybeAlert(ctx, env, conv, msg)
	}
	answer, answered, _ := edgeAnswer(env) // checked by decodeEnvelope
	if answered {
		// The shopper has the answer already: record it, whoever holds the
		// conversation, and publish nothing to the shopper.
		answer.ConversationID, answer.Lang, answer.At = conv.ID, msg.Lang, msg.At
		stampChannel(env, &answer)
		c, stored, err := s.st.SaveReply(ctx, env.Tenant, answer, false)
		if err != nil {
			return err
		}
		if stored {
			s.m.messagesStored.WithLabelValues(string(chat.RoleBot)).Inc()
			s.m.botAnswers.WithLabelValues("edge").Inc()
			s.emit(chat.Event{Type: chat.EventMessage, Tenant: c.Tenant, ConversationID: c.ID, Visitor: c.Visitor, Message: &answer})
		}
	}
	if env.Label(chat.LabelErasure) == "1" {
		return s.erasureRequested(ctx, env, conv, msg, stored)
	}
	if handled, err := s.workInbound(ctx, env, conv, msg, stored); handled || err != nil {
		return err // a local answer, a callback request (work.go)
	}
	if saved.Reply != nil { // the bot's answer, stored with the question
		bot.Reply = *saved.Reply
		s.botReplyStored(conv, bot)
		return s.botReplied(ctx, env, conv, msg, bot, derivedID("h", env.Tenant, msg.ID))
	}
	switch conv.Status {
	case store.StatusQueued:
		s.queueChanged(conv.Tenant)
		if stored {
			p := s.rt.Priority(conv.Anger, conv.VIP, time.Since(conv.QueuedAt), s.sla(ctx, conv.Tenant))
			if p > conv.Priority {
				if err := s.st.SetPriority(ctx, conv.Tenant, conv.ID, p); err != nil {
					return err
				}
			}
		}
		return nil
	case store.StatusAssigned, store.StatusClosed:
		return nil
	}
	if answered {
		return nil // answered at the edge: neither routed nor answered again
	}

	replyID, noteID := derivedID("r", env.Tenant, msg.ID), derivedID("h", env.Tenant, msg.ID)
	if !stored {
		// A redelivery: finish what the first delivery started.
		if note, err := s.st.Message(ctx, env.Tenant, noteID); err == nil {
			s.publishReply(ctx, env, note)
			return s.handoff(ctx, env, conv, msg, router.Decision{Human: true, Reason: router.Reason(conv.Reason)}, noteID)
		}
		if reply, err := s.st.Message(ctx, env.Tenant, replyID); err == nil {
			s.publishReply(ctx, env, reply)
			if conv.BotFailures >= s.rt.Config().MaxBotFailures {
				return s.handoff(ctx, env, conv, msg, router.Decision{Human: true, Reason: router.ReasonBotFailed}, noteID)
			}
			return nil
		}
	}
	dec := s.rt.Decide(router.Input{Text: msg.Text, Intent: msg.Intent, Anger: msg.Anger, Labels: env.Labels, BotFailures: conv.BotFailures})
	if len(msg.Attachments) > 0 && !dec.Human {
		dec = router.Decision{Human: true, Reason: routePhoto} // the bot cannot read pictures (photos.go)
	}
	if dec.Human {
		return s.handoff(ctx, env, conv, msg, dec, noteID)
	}
	if msg.Intent == intentComplaint {
		s.complaintAfterHours(ctx, conv, msg) // work.go
	}
	return s.answer(ctx, env, msg, replyID, noteID)
}

// replyPlan answers a shopper's question before it is stored, so that the
// question and the bot's answer share one write transaction
// (store.SaveInboundReply), when nothing in the message can take it another
// way: no answer from the edge or the browser, no erasure or callback
// request, no photo, no complaint (its after-hours ticket comes first), and
// the router would not hand it to a person. The plan then stores the answer
// when the conversation, as the question leaves it, is still the bot's and
// short of MaxBotFailures, and nothing otherwise: process then goes the
// usual way. It returns nil when the message does not qualify.
func (s *Service) replyPlan(ctx context.Context, env chat.Envelope, msg chat.Message) (store.ReplyPlan, botAnswer) {
	if !plainQuestion(env, msg) || s.hints.held(env) {
		return nil, botAnswer{}
	}
	dec := s.rt.Decide(router.Input{Text: msg.Text, Intent: msg.Intent, Anger: msg.Anger, Labels: env.Labels})
	if dec.Human {
		return nil, botAnswer{}
	}
	bot, err := s.botReply(ctx, env, msg, derivedID("r", env.Tenant, msg.ID))
	if err != nil {
		return nil, botAnswer{} // asked again the usual way, which reports the error
	}
	if s.cfg.answeredEarly != nil {
		s.cfg.answeredEarly(env)
	}
	maxFails := s.rt.Config().MaxBotFailures
	return func(c store.Conversation) *store.Reply {
		if c.Status != store.StatusBot || c.BotFailures >= maxFails {
			return nil
		}
		r := bot.Reply
		return &r
	}, bot
}

// plainQuestion reports whether msg is a question for the bot alone: no
// answer from the edge or the browser, no erasure or callback request, no
// photo, no complaint.
func plainQuestion(env chat.Envelope, msg chat.Message) bool {
	_, answered, _ := edgeAnswer(env)
	return !answered && len(env.Message.Attachments) == 0 && msg.Intent != intentComplaint &&
		env.Label(chat.LabelErasure) == "" && env.Label(chat.LabelLocalAnswerID) == "" && env.Label(chat.LabelCallback) == ""
}

// answer replies with the bot and hands off after repeated failures.
func (s *Service) answer(ctx context.Context, env chat.Envelope, msg chat.Message, replyID, noteID string) error {
	r, err := s.botReply(ctx, env, msg, replyID)
	if err != nil {
		return err
	}
	var conv store.Conversation
	var stored bool
	if r.Miss != nil {
		conv, stored, err = s.st.SaveReplyMiss(ctx, env.Tenant, r.Message, r.BotFailed, *r.Miss)
	} else {
		conv, stored, err = s.st.SaveReply(ctx, env.Tenant, r.Message, r.BotFailed)
	}
	if err != nil {
		return err
	}
	if stored { // with its citations (SaveReply keeps reply.Sources)
		s.botReplyStored(conv, r)
	}
	return s.botReplied(ctx, env, conv, msg, r, noteID)
}

// botReply is the bot's reply to msg (with the question kept for the
// knowledge gaps, when it could not answer with confidence); it stores
// nothing and counts nothing.
func (s *Service) botReply(ctx context.Context, env chat.Envelope, msg chat.Message, replyID string) (botAnswer, error) {
	reply := chat.Message{ID: replyID, ConversationID: msg.ConversationID, Role: chat.RoleBot, Source: chat.SourceCentral,
		ReplyTo: msg.ID, Author: "bot", At: time.Now()}
	ans, err := s.askHub(ctx, env, msg)
	if err != nil {
		return botAnswer{}, err
	}
	var kind string // the botAnswers metric's label
	failed := false
	var miss *store.Miss // a question kept for the knowledge gaps, stored with the reply
	if ans.Confident() {
		reply.Text, reply.Lang, reply.Intent = ans.Text, ans.Lang, msg.Intent
		reply.Sources, reply.Card = citations(ans.Sources), ans.Card
		kind = "knowledge"
	} else {
		hit, ok, err := s.kb.Search(ctx, env.Tenant, msg.Lang, msg.Text)
		if err != nil {
			return botAnswer{}, err
		}
		if !ok && msg.Intent != "" && len(ans.Entities) == 0 {
			// The intent's generic entry, unless the question names a
			// specific destination, product line or fee it does not cover.
			if e, found := s.kb.ByIntent(env.Tenant, msg.Intent); found {
				text, lang := e.Answer(msg.Lang)
				hit, ok = knowledge.Hit{Entry: e, Answer: text, Lang: lang, Score: 1}, text != ""
			}
		}
		switch {
		case ok && len(ans.Entities) == 0:
			reply.Text, reply.Lang, reply.Intent = hit.Answer, hit.Lang, hit.Entry.Intent
			kind = "answered"
		case ans.Kind == knowledge.AnswerClarify:
			reply.Text, reply.Lang, reply.Intent, reply.QuickReplies = ans.Text, ans.Lang, "clarify", ans.QuickReplies
			kind = "clarify"
			miss = s.miss(env.Tenant, msg, "clarify", ans.Confidence)
		default:
			failed = true
			reply.Text, reply.Lang, reply.Intent = fallbackText(msg.Lang), msg.Lang, "fallback"
			kind = "fallback"
			miss = s.miss(env.Tenant, msg, "fallback", ans.Confidence)
		}
	}
	s.persona(ctx, env.Tenant).apply(&reply, ans.Confident())
	stampChannel(env, &reply)
	return botAnswer{Reply: store.Reply{Message: reply, BotFailed: failed, Miss: miss}, kind: kind}, nil
}

// botAnswer is the bot's reply to a message, and how it came: knowledge
// (the knowledge hub, confident), answered (a knowledge base entry),
// clarify or fallback (the botAnswers metric's label).
type botAnswer struct {
	store.Reply
	kind string
}

// botReplyStored counts a bot reply stored and shows it to the consoles.
func (s *Service) botReplyStored(conv store.Conversation, r botAnswer) {
	s.m.messagesStored.WithLabelValues(string(chat.RoleBot)).Inc()
	s.m.botAnswers.WithLabelValues(r.kind).Inc()
	s.emit(chat.Event{Type: chat.EventMessage, Tenant: conv.Tenant, ConversationID: conv.ID, Visitor: conv.Visitor, Message: &r.Message})
}

// botReplied sends the bot's stored reply to the shopper and hands the
// conversation off after repeated failures.
func (s *Service) botReplied(ctx context.Context, env chat.Envelope, conv store.Conversation, msg chat.Message, r botAnswer, noteID string) error {
	s.publishReply(ctx, env, r.Message)
	if r.BotFailed && conv.BotFailures >= s.rt.Config().MaxBotFailures {
		return s.handoff(ctx, env, conv, msg, router.Decision{Human: true, Reason: router.ReasonBotFailed}, noteID)
	}
	return nil
}

// handoff queues the conversation and tells the shopper a person is coming.
func (s *Service) handoff(ctx context.Context, env chat.Envelope, conv store.Conversation, msg chat.Message, dec router.Decision, noteID string) error {
	note := chat.Message{ID: noteID, ConversationID: conv.ID, Role: chat.RoleSystem, Source: chat.SourceCentral,
		ReplyTo: msg.ID, Author: "router", Lang: msg.Lang, Text: handoffText(msg.Lang), At: time.Now()}
	stampChannel(env, &note)
	_, stored, err := s.st.SaveReply(ctx, env.Tenant, note, false)
	if err != nil {
		return err
	}
	if stored {
		s.m.messagesStored.WithLabelValues(string(chat.RoleSystem)).Inc()
		s.emit(chat.Event{Type: chat.EventMessage, Tenant: conv.Tenant, ConversationID: conv.ID, Visitor: conv.Visitor, Message: &note})
		s.publishReply(ctx, env, note)
	}
	reason := string(dec.Reason)
	if reason == "" {
		reason = string(router.ReasonAsked)
	}
	prio := s.rt.Priority(max(msg.Anger, conv.Anger), conv.VIP || env.Label(chat.LabelVIP) == "1", 0, s.sla(ctx, conv.Tenant))
	c, changed, err := s.st.Handoff(ctx, env.Tenant, conv.ID, prio, reason, time.Now())
	if errors.Is(err, store.ErrClosed) {
		return nil
	}
	if err != nil {
		return err
	}
	s.hints.seen(env, c)
	if changed {
		if dec.Reason != router.ReasonBotFailed && handoverQuestion(msg.Text) {
			// The question that took the shopper to a person is one the bot
			// did not answer: a gap candidate (gaps.go). After repeated bot
			// failures it is already a "fallback" miss.
			s.recordMiss(ctx, env.Tenant, msg, "handover", 0)
		}
		s.m.handoffs.WithLabelValues(reason).Inc()
		s.emit(chat.Event{Type: chat.EventHandoff, Tenant: c.Tenant, ConversationID: c.ID, Visitor: c.Visitor, Reason: reason, Priority: c.Priority})
		s.updateQueueDepth(ctx)
		s.afterHandoff(ctx, env, c, msg) // team, push assignment, queue.position (work.go)
	}
	return nil
}

func (s *Service) sla(ctx context.Context, tenant string) time.Duration {
	if t, err := s.st.Tenant(ctx, tenant); err == nil && t.SLA > 0 {
		return t.SLA
	}
	return s.rt.Config().SLA
}

// annotate sets what routing needs of a shopper message: its language and
// intent when the edge sent none (the widget's hints are kept), and
// central's anger (messageAnger).
func (s *Service) annotate(m *chat.Message) {
	if m.Lang == "" {
		m.Lang = detectLang(m.Text, s.cfg.LangID)
	}
	// An intent the edge checked with its model (edge/intentcheck) comes
	// with its confidence: central's thresholds apply to it as to its own
	// prediction, so a label the edge was unsure of routes nothing.
	if c := float32(m.IntentConfidence); m.Intent != "" && c > 0 &&
		(c < s.cfg.IntentMinScore || humanIntents[m.Intent] && c < max(0.8, s.cfg.IntentMinScore)) {
		m.Intent = ""
	}
	if m.Intent == "" && s.cfg.Intent != nil {
		label, score := s.cfg.Intent.Predict(m.Text)
		switch {
		case humanIntents[label] && score >= max(0.8, s.cfg.IntentMinScore):
			m.Intent = router.IntentHuman
		case !humanIntents[label] && score >= s.cfg.IntentMinScore:
			m.Intent = label
		}
	} else if humanIntents[m.Intent] {
		m.Intent = router.IntentHuman
	}
	m.Anger = messageAnger(s.cfg.Anger, m.Text, m.Intent, m.Anger)
}

// publishReply sends a message to the shopper through the edges of the
// envelope's region.
func (s *Service) publishReply(ctx context.Context, in chat.Envelope, m chat.Message) {
	s.publishOutbound(ctx, chat.Envelope{V: chat.ProtocolVersion, Tenant: in.Tenant, Region: in.Region, Channel: in.Channel,
		Visitor: in.Visitor, Direction: chat.Outbound, Message: m}, replyRoute(in))
}

// publishOutbound publishes an outbound envelope to the region's edges,
// and to the platform channel's outbox when route names one (replyRoute).
// With a span in ctx (central.process of the message answered) the reply's
// publish is a span of that trace, carried to the edge in the traceparent
// header.
func (s *Service) publishOutbound(ctx context.Context, out chat.Envelope, route string) {
	m := out.Message
	data, err := chat.EncodeEnvelope(&out) // json.Marshal, byte for byte
	if err != nil {
		s.log.Error("outbound: marshal", "err", err)
		return
	}
	msg := nats.NewMsg(chat.OutboundSubject(out.Region, out.Tenant))
	msg.Data = data
	_, sp := tracing.Start(ctx, "nats.publish reply", tracing.KindProducer)
	if sp != nil {
		sp.SetAttr("messaging.system", "nats")
		sp.SetAttr("messaging.destination.name", msg.Subject)
		sp.SetAttr("kefu.message_id", m.ID)
		sp.SetAttr("kefu.reply_to", m.ReplyTo)
		msg.Header.Set(tracing.Header, sp.Context().Traceparent())
	}
	if err := s.nc.PublishMsg(msg); err != nil {
		sp.SetError(err)
		s.log.Warn("outbound: publish", "id", m.ID, "err", err)
	}
	sp.End()
	if route != "" { // contacts.go
		if route != out.Visitor {
			out.Visitor = route
			if data, err = chat.EncodeEnvelope(&out); err != nil {
				return
			}
		}
		s.publishChannel(out, data)
	}
}

// stampChannel sets the channel a message came in by or goes out through
// from its envelope (whatever a client sent in the message).
func stampChannel(env chat.Envelope, m *chat.Message) {
	m.Channel, m.ChannelID = env.Channel, ""
	if id, _, ok := chat.SplitChannelVisitor(replyRoute(env)); ok {
		m.ChannelID = id
	}
}

// emit publishes a conversation event to every replica's consoles and to the edges.
func (s *Service) emit(ev chat.Event) {
	ev.V = chat.ProtocolVersion
	if ev.At.IsZero() {
		ev.At = time.Now().UTC()
	}
	data, err := chat.EncodeEvent(&ev) // json.Marshal, byte for byte
	if err != nil {
		s.log.Error("event: marshal", "err", err)
		return
	}
	// The events no edge acts on go where edges do not subscribe.
	if err := s.nc.Publish(chat.EventSubject(&ev), data); err != nil {
		s.log.Warn("event: publish", "type", ev.Type, "err", err)
	}
	s.webhookEvent(ev) // outbound webhooks (webhooks.go)
}

// onEvent forwards an event from NATS to the tenant's consoles; it is
// subscribed while a console is connected here (consolefeed.go).
func (s *Service) onEvent(m *nats.Msg) {
	if s.hub.idle() {
		return // no console connected to this replica: nobody to forward to
	}
	// Only what routing needs: the event is forwarded as it came (decoding
	// all of chat.Event, its message included, was 1% of the server's CPU
	// under load).
	var ev struct {
		Type   chat.EventType `json:"type"`
		Tenant string         `json:"tenant"`
	}
	if err := json.Unmarshal(m.Data, &ev); err != nil || ev.Tenant == "" {
		return
	}
	if es := chat.EventsSubject(ev.Tenant); m.Subject != es && m.Subject != es+chat.SubjectConsoleSuffix {
		return // a tenant field that does not match its subject is not trusted
	}
	if ev.Type == chat.EventQueuePosition {
		return // for shoppers; consoles follow the queue by handoff/assigned/closed
	}
	s.hub.broadcast(ev.Tenant, m.Data)
}

// onHistory answers an edge's resume request.
func (s *Service) onHistory(m *nats.Msg) {
	reply := func(r chat.HistoryReply) {
		data, _ := json.Marshal(r)
		_ = m.Respond(data)
	}
	var req chat.HistoryRequest
	if err := json.Unmarshal(m.Data, &req); err != nil {
		reply(chat.HistoryReply{Error: "malformed request: " + err.Error()})
		return
	}
	if req.Tenant != "" && chat.IsContactVisitor(req.Visitor) && req.ConversationID == "" {
		s.latestOfContact(req, reply) // contacts.go
		return
	}
	if req.Tenant == "" || req.Visitor == "" || req.ConversationID == "" {
		reply(chat.HistoryReply{Error: "tenant, visitor and conversation_id are required"})
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conv, err := s.st.Conversation(ctx, req.Tenant, req.ConversationID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		// A store error is not a refusal: the client must not start afresh.
		s.log.Warn("history", "err", err)
		reply(chat.HistoryReply{Error: "unavailable", Code: chat.HistoryUnavailable})
		return
	}
	if err != nil || conv.Visitor != req.Visitor {
		// The same answer for "missing" and "not yours".
		reply(chat.HistoryReply{Error: "unknown conversation", Code: chat.HistoryRefused})
		return
	}
	limit := req.Limit
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	msgs, err := s.st.Messages(ctx, req.Tenant, req.ConversationID, req.After, limit)
	if errors.Is(err, store.ErrNotFound) {
		// The client holds an id central never stored (a local answer): send everything.
		msgs, err = s.st.Messages(ctx, req.Tenant, req.ConversationID, "", limit)
	}
	if err != nil {
		s.log.Warn("history", "err", err)
		reply(chat.HistoryReply{Error: "unavailable", Code: chat.HistoryUnavailable})
		return
	}
	s.withTexts(ctx, req.Tenant, req.ConversationID, msgs, "", false)                    // originals of translated replies
	if err := s.withAttachments(ctx, req.Tenant, req.ConversationID, msgs); err != nil { // photos.go
		s.log.Warn("history: photos", "err", err)
		reply(chat.HistoryReply{Error: "unavailable", Code: chat.HistoryUnavailable})
		return
	}
	for i := range msgs {
		msgs[i].PII, msgs[i].Translation = nil, nil // for agents only
	}
	reply(chat.HistoryReply{Messages: msgs})
}
