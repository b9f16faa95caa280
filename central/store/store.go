// Package store keeps central's source of truth: tenants (merchant sites),
// agents and their login sessions, conversations with their queue state,
// messages, and the audit records of data-erasure requests.
//
// There is one Store interface and two implementations that share their SQL:
// OpenSQLite (modernc.org/sqlite, pure Go, one file in WAL mode, the embedded
// default) and OpenPostgres (github.com/jackc/pgx/v5 through database/sql, for
// many central replicas). One contract test suite (store_test.go) runs against
// both.
//
// # Guarantees
//
//   - A message id is unique per tenant. SaveInbound and SaveReply report
//     stored=false for an id they already hold and change nothing, so a
//     redelivered NATS message or a retried REST call is harmless.
//   - Every method is one transaction: what a method returns without error is
//     committed.
//   - Queue assignment is race-free across processes: Claim and ClaimNext run
//     in one write transaction (SQLite serialises writers; PostgreSQL locks the
//     row with FOR UPDATE, and ClaimNext skips rows other replicas hold with
//     SKIP LOCKED), so one conversation is never given to two agents.
//   - Erasure requests (GDPR Art. 17) are recorded once per request id and
//     at most one is open per visitor (a partial unique index, so also across
//     replicas); Erase tombstones, pseudonymises and closes in one
//     transaction and keeps the request as the audit record.
//
// A message keeps the vault tokens of the values masked in its text
// (chat.Message.PII, column pii, JSON); Erase drops them with the texts.
//
// # Schema changes
//
// Tables are created with CREATE … IF NOT EXISTS as first released; later
// changes are numbered migrations (sql.go), each applied once per database
// inside the write lock and recorded in schema_migrations, so an older
// database is upgraded in place when it is opened.
//
// Times are stored as Unix milliseconds; messages are ordered by an insertion
// sequence, not by id, so ids made elsewhere need not be sortable.
//
// All implementations are safe for concurrent use.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/kefu-io/kefu/chat"
)

// Sentinel errors callers branch on (wrapped with context by the methods).
var (
	ErrNotFound = errors.New("store: not found")
	ErrTaken    = errors.New("store: conversation assigned to another agent")
	ErrClosed   = errors.New("store: conversation closed")
	ErrEmpty    = errors.New("store: queue empty")
	ErrExists   = errors.New("store: already exists")
	ErrInvalid  = errors.New("store: invalid argument")
)

// Status is where a conversation stands.
type Status string

// Conversation states. A conversation starts with the bot, moves to the
// queue on handoff, is assigned when an agent claims it and ends closed. A
// shopper writing into a closed conversation reopens it with the bot.
const (
	StatusBot      Status = "bot"
	StatusQueued   Status = "queued"
	StatusAssigned Status = "assigned"
	StatusClosed   Status = "closed"
)

// Valid reports whether s is one of the four states.
func (s Status) Valid() bool {
	switch s {
	case StatusBot, StatusQueued, StatusAssigned, StatusClosed:
		return true
	}
	return false
}

// Tenant is a merchant site.
type Tenant struct {
	ID   string
	Name string
	// SLA is how long a queued conversation may wait for an agent; zero means
	// the service default.
	SLA time.Duration
	// IdentitySecret keys the HMAC-SHA256 a merchant's backend computes
	// over a shopper's id (identity verification). PutTenant sets it only
	// when it creates the tenant; SetIdentitySecret rotates it.
	IdentitySecret string
	// CreatedAt is when the tenant was first stored.
	CreatedAt time.Time
}

// Agent is a human who answers conversations of one tenant.
type Agent struct {
	ID     string
	Tenant string
	Email  string
	Name   string
	// PasswordHash is a bcrypt hash; the store never sees a clear password.
	PasswordHash string
	// Role is what the agent may do (RoleOwner, RoleAdmin, RoleAgent);
	// empty is stored as RoleAgent.
	Role Role
	// Lang is the language the agent reads and writes ("" = unset).
	Lang string
	// MustChangePassword is set for a one-time password: the agent must
	// choose a new one before doing anything else.
	MustChangePassword bool
	// Disabled agents cannot log in; their sessions are deleted.
	Disabled  bool
	CreatedAt time.Time
}

// Role is an agent's role in its tenant.
type Role string

// Roles, from most to least powerful: owners manage agents, keys, webhooks
// and billing-like settings; admins manage configuration; agents handle
// conversations.
const (
	RoleOwner Role = "owner"
	RoleAdmin Role = "admin"
	RoleAgent Role = "agent"
)

// Valid reports whether r is one of the three roles.
func (r Role) Valid() bool { return r == RoleOwner || r == RoleAdmin || r == RoleAgent }

// AtLeast reports whether r is as powerful as min or more.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() }

func (r Role) rank() int {
	switch r {
	case RoleOwner:
		return 3
	case RoleAdmin:
		return 2
	case RoleAgent:
		return 1
	}
	return 0
}

// Session is a bearer token's server side. Only the token's SHA-256 hash is kept.
type Session struct {
	TokenHash string
	Tenant    string
	AgentID   string
	Expires   time.Time
}

// Conversation is one shopper's thread with a merchant.
type Conversation struct {
	ID      string
	Tenant  string
	Visitor string
	Channel chat.Channel
	// Region is the edge region of the shopper's latest message; replies go there.
	Region string
	Lang   string
	Status Status
	// Priority is the queue priority computed at the latest handoff or
	// inbound message while queued (higher first).
	Priority int
	// Anger is the anger of the latest shopper message, in [0,1].
	Anger float64
	VIP   bool
	// Agent is the id of the assigned agent ("" unless assigned).
	Agent string
	// Reason says why the conversation was handed off.
	Reason   string
	LastText string
	// BotFailures counts the bot's consecutive fallback answers.
	BotFailures int
	// QueuedAt is when the conversation entered the queue (zero if never).
	QueuedAt  time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Inbound is a shopper message with the facts about its conversation that
// arrive with it.
type Inbound struct {
	Tenant  string
	Visitor string
	Channel chat.Channel
	Region  string
	VIP     bool
	// Message.ConversationID may be empty: the visitor's open conversation is
	// used, or a new one is made.
	Message chat.Message
	// Route is where replies to this message go back: the ChannelVisitor
	// of a platform channel's shopper, "" for the widget (ContactStore.LastRoute).
	Route string
}

// ReplyPlan says, inside SaveInboundReply's transaction, which bot reply to
// store with a new shopper message, given its conversation as the message
// left it; nil: none. It runs under the database's writer, so it must be
// quick, and it must have no effects: it may run twice (a shared commit
// that failed runs again).
type ReplyPlan func(c Conversation) *Reply

// Reply is a bot, agent or system message stored with the shopper message
// it answers (SaveInboundReply), as SaveReply or SaveReplyMiss would store
// it.
type Reply struct {
	// Message's ConversationID is set by the store.
	Message   chat.Message
	BotFailed bool
	// Miss, when not nil, is recorded with the reply (its ConversationID
	// set by the store).
	Miss *Miss
}

// InboundSaved is what SaveInboundReply did.
type InboundSaved struct {
	// Conversation is the message's conversation after the transaction.
	Conversation Conversation
	// Created: the conversation is new; Stored: the message is (false
	// when its id was already stored: nothing changed).
	Created, Stored bool
	// Reply is the reply stored with the message (nil: none).
	Reply *Reply
}

// Filter selects conversations in Conversations.
type Filter struct {
	// Status selects one state; empty means every state but closed.
	Status Status
	// Limit caps the answer; 0 means 200.
	Limit int
}

// Store is central's persistence. See the package doc for the guarantees.
type Store interface {
	AnalyticsStore
	AlertStore
	QAStore
	ProactiveStore
	SeriesStore

	AdminStore
	WebhookStore
	ContactStore
	ContactLinkStore
	ChannelListStore
	KnowledgeStore
	GapReplyStore
	CitationStore

	ChannelStore
	WorkStore       // the agents' workspace and the human queue (workspace.go)
	QueueStore      // the queue ranked and claimed in the database (queue.go)
	ShownStore      // what the shopper was shown of a reply (shown.go)
	AttachmentStore // shoppers' photos (attachments.go)
	// PutTenant creates or updates a tenant.
	PutTenant(ctx context.Context, t Tenant) error
	// Tenant returns a tenant or ErrNotFound.
	Tenant(ctx context.Context, id string) (Tenant, error)

	// PutAgent creates an agent, or updates the one with the same tenant and
	// email (keeping its id). It returns the stored agent.
	PutAgent(ctx context.Context, a Agent) (Agent, error)
	// AgentByEmail returns the agent of tenant with that email (case-insensitive) or ErrNotFound.
	AgentByEmail(ctx context.Context, tenant, email string) (Agent, error)
	// Agent returns an agent of tenant by id or ErrNotFound.
	Agent(ctx context.Context, tenant, id string) (Agent, error)

	// PutSession stores a login session.
	PutSession(ctx context.Context, s Session) error
	// Session returns the unexpired session with that token hash or ErrNotFound.
	Session(ctx context.Context, tokenHash string, now time.Time) (Session, error)
	// DeleteSession removes a session (logout). Removing an unknown one is not an error.
	DeleteSession(ctx context.Context, tokenHash string) error

	// SaveInbound stores a shopper message and creates or updates its
	// conversation in one transaction. stored is false when the message id
	// was already stored; the conversation is then returned unchanged.
	// A closed conversation is reopened with the bot.
	SaveInbound(ctx context.Context, in Inbound) (c Conversation, created, stored bool, err error)
	// SaveInboundReply is SaveInbound that also stores, in the same
	// transaction, the reply plan gives for a newly stored message (a
	// redelivered id stores nothing and does not ask plan): one commit for
	// a question and the bot's answer instead of two.
	SaveInboundReply(ctx context.Context, in Inbound, plan ReplyPlan) (InboundSaved, error)
	// SaveReply stores a bot, agent or system message in an existing
	// conversation. For a bot message, botFailed says the bot could not
	// answer: the conversation's BotFailures grows by one, otherwise it
	// resets. The message's Sources are kept as its citations
	// (ConversationCitations) in the same transaction. Nothing changes
	// when the id is already stored (stored=false).
	SaveReply(ctx context.Context, tenant string, m chat.Message, botFailed bool) (c Conversation, stored bool, err error)
	// SaveReplyMiss is SaveReply that also records miss (as KnowledgeStore.RecordMiss) in
	// the same transaction, when the reply is stored: one commit for a
	// fallback answer instead of two, and a redelivered question is kept
	// once.
	SaveReplyMiss(ctx context.Context, tenant string, m chat.Message, botFailed bool, miss Miss) (c Conversation, stored bool, err error)
	// Message returns one message or ErrNotFound.
	Message(ctx context.Context, tenant, id string) (chat.Message, error)
	// Messages returns a conversation's messages in the order they were
	// stored, after the message with id after ("" = from the start), at most
	// limit (0 = 500). An unknown after id is ErrNotFound.
	Messages(ctx context.Context, tenant, conversation, after string, limit int) ([]chat.Message, error)

	// Conversation returns one conversation or ErrNotFound.
	Conversation(ctx context.Context, tenant, id string) (Conversation, error)
	// Conversations lists a tenant's conversations, queued ones by priority
	// then wait, the others by latest activity.
	Conversations(ctx context.Context, tenant string, f Filter) ([]Conversation, error)

	// Handoff moves a bot conversation to the queue with priority and
	// reason. changed is false if it was already queued or assigned (a
	// higher priority is still recorded) ; a closed one is ErrClosed.
	Handoff(ctx context.Context, tenant, id string, priority int, reason string, now time.Time) (c Conversation, changed bool, err error)
	// SetPriority updates the priority of a queued conversation.
	SetPriority(ctx context.Context, tenant, id string, priority int) error
	// Claim assigns a bot or queued conversation to agent. Claiming one's own
	// conversation again succeeds; another agent's is ErrTaken; a closed one
	// ErrClosed.
	Claim(ctx context.Context, tenant, id, agent string, now time.Time) (Conversation, error)
	// ClaimNext assigns the highest-priority, longest-waiting queued
	// conversation to agent, or returns ErrEmpty.
	ClaimNext(ctx context.Context, tenant, agent string, now time.Time) (Conversation, error)
	// CloseConversation closes a conversation (closing twice is fine).
	CloseConversation(ctx context.Context, tenant, id string, now time.Time) (Conversation, error)
	// QueueDepth counts queued conversations of tenant, or of every tenant when tenant is "".
	QueueDepth(ctx context.Context, tenant string) (int, error)

	// RequestErasure records a shopper's request to erase their data (GDPR
	// Art. 17). r.ID is the idempotency key (central derives it from the
	// message that asked). created is false, and the stored request is
	// returned unchanged, when r.ID is already recorded or when the visitor
	// already has a request in status ErasureRequested: one open request per
	// (tenant, visitor).
	RequestErasure(ctx context.Context, r ErasureRequest) (got ErasureRequest, created bool, err error)
	// Erasure returns one erasure request of tenant by id, or ErrNotFound.
	Erasure(ctx context.Context, tenant, id string) (ErasureRequest, error)
	// OpenErasure returns the visitor's request in status ErasureRequested,
	// or ErrNotFound.
	OpenErasure(ctx context.Context, tenant, visitor string) (ErasureRequest, error)
	// Erasures lists a tenant's erasure requests, newest first, in one status
	// ("" = every status), at most limit (0 = 200).
	Erasures(ctx context.Context, tenant string, status ErasureStatus, limit int) ([]ErasureRequest, error)
	// Erase carries out the erasure request id of tenant in one transaction:
	// every message text of the visitor's conversations becomes
	// ErasedText, the conversations' visitor becomes pseudonym (their
	// last_text ErasedText) and they are closed, and the request becomes
	// ErasureCompleted with agent, now, the counts, and the pseudonym in
	// place of the visitor id. Erasing a completed request again changes
	// nothing and returns it with done=false.
	Erase(ctx context.Context, tenant, id, agent, pseudonym string, now time.Time) (r ErasureRequest, done bool, err error)

	// Close releases the database.
	Close() error
}

// ErasedText replaces every message text Erase wipes (a tombstone).
const ErasedText = "[erased]"

// ErasureStatus is where an erasure request stands.
type ErasureStatus string

// Erasure request states.
const (
	ErasureRequested ErasureStatus = "requested"
	ErasureCompleted ErasureStatus = "completed"
)

// ErasureRequest is the audit record of a data-erasure request: who asked
// (the visitor, replaced by a pseudonym once completed), from which
// conversation and message, when, and who carried it out when. It never
// holds message text.
type ErasureRequest struct {
	ID     string
	Tenant string
	// Visitor is the shopper's id while requested, the pseudonym once completed.
	Visitor string
	// ConversationID and MessageID locate the request ("" when an agent
	// erased without a shopper message).
	ConversationID string
	MessageID      string
	Status         ErasureStatus
	// Agent is the id of the agent who executed it, or "auto" (tenant policy).
	Agent         string
	RequestedAt   time.Time
	CompletedAt   time.Time
	Conversations int // conversations erased
	Messages      int // message texts replaced by ErasedText
}
