package central

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/kefu-io/kefu/assets/console"
	"github.com/kefu-io/kefu/central/scope"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// Error codes of the REST API ({"error": reason, "code": code}).
const (
	CodeBadRequest   = "bad_request"
	CodeUnauthorized = "unauthorized"
	CodeNotFound     = "not_found"
	CodeTaken        = "taken"
	CodeClosed       = "closed"
	CodeErased       = "erased"
	CodeInternal     = "internal"
	CodeRateLimited  = "rate_limited" // 429, with Retry-After
	CodeConflict     = "conflict"     // 409: changed meanwhile, read again and retry
)

// ConversationView is a conversation as the REST API shows it.
type ConversationView struct {
	ID      string       `json:"id"`
	Visitor string       `json:"visitor"`
	Channel chat.Channel `json:"channel"`
	// Region is the edge region of the shopper's latest message.
	Region    string       `json:"region,omitempty"`
	Status    store.Status `json:"status"`
	Priority  int          `json:"priority"`
	Anger     float64      `json:"anger"`
	VIP       bool         `json:"vip"`
	Agent     string       `json:"agent,omitempty"`
	Lang      string       `json:"lang,omitempty"`
	Reason    string       `json:"reason,omitempty"`
	LastText  string       `json:"last_text"`
	QueuedAt  *time.Time   `json:"queued_at,omitempty"`
	UpdatedAt time.Time    `json:"updated_at"`
	// Erasure is the visitor's latest GDPR erasure request, if any.
	Erasure *ErasureView `json:"erasure,omitempty"`
	// Team and Tags are the workspace's (api_queue.go).
	Team string   `json:"team,omitempty"`
	Tags []string `json:"tags,omitempty"`
}

// AgentView is an agent as the REST API shows it (never the password hash).
type AgentView struct {
	ID     string     `json:"id"`
	Tenant string     `json:"tenant"`
	Email  string     `json:"email"`
	Name   string     `json:"name"`
	Role   store.Role `json:"role"`
	Lang   string     `json:"lang,omitempty"`
	// MustChangePassword: logged in with a one-time password; POST
	// /v1/password before anything else.
	MustChangePassword bool `json:"must_change_password"`
	Disabled           bool `json:"disabled"`
}

// LoginRequest is the body of POST /v1/login.
type LoginRequest struct {
	Tenant   string `json:"tenant"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

// LoginReply answers POST /v1/login.
type LoginReply struct {
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
	Agent   AgentView `json:"agent"`
}

// ReplyRequest is the body of POST /v1/conversations/:id/messages. ID is
// optional: a client that sets it may retry without doubling the message.
type ReplyRequest struct {
	ID   string `json:"id,omitempty"`
	Text string `json:"text"`
	// Channel picks the channel the reply goes through: a kind (wechat,
	// email, web…) or a platform channel id among the conversation's
	// (GET /v1/conversations/{id}/channels). Default: the channel of the
	// shopper's latest message.
	Channel string `json:"channel,omitempty"`
}

func apiError(c *fiber.Ctx, status int, code, reason string) error {
	return c.Status(status).JSON(fiber.Map{"error": reason, "code": code})
}

func storeError(c *fiber.Ctx, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return apiError(c, fiber.StatusNotFound, CodeNotFound, "conversation not found")
	case errors.Is(err, store.ErrTaken):
		return apiError(c, fiber.StatusConflict, CodeTaken, "conversation is assigned to another agent")
	case errors.Is(err, store.ErrClosed):
		return apiError(c, fiber.StatusConflict, CodeClosed, "conversation is closed")
	case errors.Is(err, store.ErrInvalid):
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	return apiError(c, fiber.StatusInternalServerError, CodeInternal, "internal error")
}

func view(c store.Conversation, prio int) ConversationView {
	v := ConversationView{ID: c.ID, Visitor: c.Visitor, Channel: c.Channel, Region: c.Region, Status: c.Status, Priority: prio,
		Anger: c.Anger, VIP: c.VIP, Agent: c.Agent, Lang: c.Lang, Reason: c.Reason, LastText: c.LastText, UpdatedAt: c.UpdatedAt}
	if !c.QueuedAt.IsZero() {
		q := c.QueuedAt
		v.QueuedAt = &q
	}
	return v
}

func agentView(a store.Agent) AgentView {
	return AgentView{ID: a.ID, Tenant: a.Tenant, Email: a.Email, Name: a.Name, Role: a.Role, Lang: a.Lang,
		MustChangePassword: a.MustChangePassword, Disabled: a.Disabled}
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Register adds the REST API (/v1/*), the console WebSocket
// (/v1/console/ws) and the console page (/console/) to app, and starts the
// REST API's NATS twin for the edges: the bearer-token responder on
// SubjectAuthVerify.
func (s *Service) Register(app *fiber.App) {
	if err := s.serveAuthVerify(); err != nil {
		s.log.Error("auth verify responder not started: edge routes for agents will answer 401", "err", err)
	}
	v1 := app.Group("/v1")
	v1.Get("/openapi.json", s.openapiDoc)
	v1.Post("/login", s.login)
	v1.Get("/console/ws", s.wsUpgrade, websocket.New(s.consoleWS))
	v1.Post("/events", s.postEvent) // API keys (api_analytics.go)
	auth := v1.Group("", s.authenticate)
	auth.Get("/me", s.me)
	auth.Get("/console/config", s.consoleConfig)
	auth.Post("/logout", sessionOnly, s.logout)
	auth.Post("/password", sessionOnly, s.changePassword)
	auth.Get("/conversations", s.listConversations)
	auth.Get("/conversations/:id", s.getConversation)
	auth.Get("/conversations/:id/messages", s.listMessages)
	auth.Post("/conversations/:id/claim", s.claim)
	auth.Post("/conversations/:id/messages", s.reply)
	auth.Post("/conversations/:id/close", s.closeConversation)
	auth.Post("/conversations/:id/erase", s.erase)
	auth.Get("/erasures", s.listErasures)
	auth.Post("/queue/next", s.claimNext)
	s.registerAnalytics(auth)
	s.registerKnowledge(auth)
	s.registerWork(auth) // the workspace (api_queue.go)
	s.registerAdmin(auth)
	s.registerWebhooks(auth)
	s.registerChannels(auth) // reply channels (api_channels.go)
	s.registerPhotos(auth)   // shoppers' photos (photos.go)

	app.Get("/console/*", s.consolePage)
}

func (s *Service) consolePage(c *fiber.Ctx) error {
	if c.Path() == "/console" {
		return c.Redirect("/console/", fiber.StatusMovedPermanently)
	}
	name := c.Params("*")
	if name == "" {
		name = "index.html"
	}
	data, err := console.FS.ReadFile(name)
	if err != nil {
		return apiError(c, fiber.StatusNotFound, CodeNotFound, "no such console file")
	}
	switch {
	case strings.HasSuffix(name, ".html"):
		c.Set(fiber.HeaderContentType, "text/html; charset=utf-8")
	case strings.HasSuffix(name, ".js"):
		c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	case strings.HasSuffix(name, ".css"):
		c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	}
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Content-Security-Policy", "default-src 'self'; connect-src "+s.consoleConnectSrc(c.Get(fiber.HeaderHost))+
		"; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	return c.Send(data)
}

// decodeBody decodes the JSON body into v; the error is a reason for the client.
func decodeBody(c *fiber.Ctx, v any) error {
	body := c.Body()
	if len(body) == 0 {
		return errors.New("empty body: JSON expected")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errors.New("malformed JSON: " + err.Error())
	}
	return nil
}

func (s *Service) login(c *fiber.Ctx) error {
	var req LoginRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	if req.Tenant == "" || req.Email == "" || req.Password == "" {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "tenant, email and password are required")
	}
	ctx := c.UserContext()
	account := accountKey(req.Tenant, req.Email)
	if wait := s.logins.attempt(c.IP(), account, s.logins.now()); wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
		return apiError(c, fiber.StatusTooManyRequests, CodeRateLimited, fmt.Sprintf("too many login attempts; retry in %d s", secs))
	}
	a, err := s.st.AgentByEmail(ctx, req.Tenant, req.Email)
	// An unknown account costs one comparison at the accounts' cost, like
	// a wrong password does (dummyHashFor).
	hash := dummyHashFor(s.cfg.BcryptCost)
	if err == nil {
		hash = []byte(a.PasswordHash)
	} else if !errors.Is(err, store.ErrNotFound) {
		return storeError(c, err)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(req.Password)) != nil || err != nil {
		s.logins.failed(account, s.logins.now())
		return apiError(c, fiber.StatusUnauthorized, CodeUnauthorized, "wrong tenant, email or password")
	}
	if a.Disabled {
		return apiError(c, fiber.StatusUnauthorized, CodeDisabled, "this agent account is disabled")
	}
	token, exp, err := s.newSession(ctx, a)
	if err != nil {
		return storeError(c, err)
	}
	return c.JSON(LoginReply{Token: token, Expires: exp.UTC(), Agent: agentView(a)})
}

// principal is who calls: an agent's session, or an API key (key set;
// agent then names the key, with the key's tenant and no role).
type principal struct {
	agent     store.Agent
	tokenHash string
	expires   time.Time
	key       *store.APIKey
}

// resolve turns a bearer token into its agent.
func (s *Service) resolve(ctx context.Context, token string) (principal, error) {
	if token == "" {
		return principal{}, store.ErrNotFound
	}
	h := hashToken(token)
	se, err := s.st.Session(ctx, h, time.Now())
	if err != nil {
		return principal{}, err
	}
	a, err := s.st.Agent(ctx, se.Tenant, se.AgentID)
	if err != nil {
		return principal{}, err
	}
	if a.Disabled {
		return principal{}, errDisabled
	}
	return principal{agent: a, tokenHash: h, expires: se.Expires}, nil
}

func who(c *fiber.Ctx) principal { return c.Locals("principal").(principal) }

// MeView answers GET /v1/me: the caller, and the scopes it holds.
type MeView struct {
	AgentView
	// APIKey is set when the caller is an API key (its id); Role is then empty.
	APIKey string   `json:"api_key,omitempty"`
	Scopes []string `json:"scopes"`
}

func (s *Service) me(c *fiber.Ctx) error {
	p := who(c)
	v := MeView{AgentView: agentView(p.agent)}
	if p.key != nil {
		v.APIKey, v.Scopes = p.key.ID, p.key.Scopes
	} else {
		v.Scopes = scope.ForRole(p.agent.Role)
	}
	if v.Scopes == nil {
		v.Scopes = []string{}
	}
	return c.JSON(v)
}

func (s *Service) logout(c *fiber.Ctx) error {
	if err := s.st.DeleteSession(c.UserContext(), who(c).tokenHash); err != nil {
		return storeError(c, err)
	}
	// The session's console sockets on this replica close now; those on
	// other replicas at their next session check (consoleCheckEvery).
	s.hub.endSession(who(c).tokenHash, closeLoggedOut)
	return c.SendStatus(fiber.StatusNoContent)
}

// livePriority is a queued conversation's priority now: it grows with the wait.
func (s *Service) livePriority(ctx context.Context, conv store.Conversation, sla time.Duration) int {
	if conv.Status != store.StatusQueued {
		return conv.Priority
	}
	return max(conv.Priority, s.rt.Priority(conv.Anger, conv.VIP, time.Since(conv.QueuedAt), sla))
}

func (s *Service) listConversations(c *fiber.Ctx) error {
	st := store.Status(c.Query("status"))
	if st != "" && !st.Valid() {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "status must be queued, assigned, bot or closed")
	}
	ctx := c.UserContext()
	tenant := who(c).agent.Tenant
	list, err := s.st.Conversations(ctx, tenant, store.Filter{Status: st})
	if err != nil {
		return storeError(c, err)
	}
	sla := s.sla(ctx, tenant)
	erasures := s.erasuresByVisitor(ctx, tenant)
	out := make([]ConversationView, len(list))
	for i, conv := range list {
		out[i] = view(conv, s.livePriority(ctx, conv, sla))
		if r, ok := erasures[conv.Visitor]; ok {
			out[i].Erasure = erasureView(r)
		}
	}
	s.decorate(ctx, tenant, list, out) // team, tags, priority as take-next sees it (api_queue.go)
	if st == store.StatusQueued {
		sort.SliceStable(out, func(i, j int) bool { return out[i].Priority > out[j].Priority })
	}
	return c.JSON(out)
}

// conversation loads the conversation :id of the caller's tenant. When ok
// is false the error answer is written and the handler returns err.
func (s *Service) conversation(c *fiber.Ctx) (conv store.Conversation, ok bool, err error) {
	id := c.Params("id")
	if !chat.ValidID(id) {
		return store.Conversation{}, false, apiError(c, fiber.StatusBadRequest, CodeBadRequest, "malformed conversation id")
	}
	conv, err = s.st.Conversation(c.UserContext(), who(c).agent.Tenant, id)
	if err != nil {
		return store.Conversation{}, false, storeError(c, err)
	}
	return conv, true, nil
}

func (s *Service) getConversation(c *fiber.Ctx) error {
	conv, ok, err := s.conversation(c)
	if !ok {
		return err
	}
	v := view(conv, s.livePriority(c.UserContext(), conv, s.sla(c.UserContext(), conv.Tenant)))
	vs := []ConversationView{v}
	s.decorate(c.UserContext(), conv.Tenant, []store.Conversation{conv}, vs)
	v = vs[0]
	if r, ok := s.erasuresByVisitor(c.UserContext(), conv.Tenant)[conv.Visitor]; ok {
		v.Erasure = erasureView(r)
	}
	return c.JSON(v)
}

func (s *Service) listMessages(c *fiber.Ctx) error {
	conv, ok, err := s.conversation(c)
	if !ok {
		return err
	}
	msgs, err := s.st.Messages(c.UserContext(), conv.Tenant, conv.ID, c.Query("after"), c.QueryInt("limit", 0))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return apiError(c, fiber.StatusNotFound, CodeNotFound, "unknown message id in after")
		}
		return storeError(c, err)
	}
	p := who(c)
	s.withTexts(c.UserContext(), conv.Tenant, conv.ID, msgs, s.agentLang(c.UserContext(), p.agent.Tenant, p.agent.ID), true)
	if err := s.withAttachments(c.UserContext(), conv.Tenant, conv.ID, msgs); err != nil {
		return storeError(c, err)
	}
	if err := s.withCitations(c.UserContext(), conv.Tenant, conv.ID, msgs); err != nil {
		return storeError(c, err)
	}
	return c.JSON(msgs)
}

func (s *Service) claim(c *fiber.Ctx) error {
	conv, ok, err := s.conversation(c)
	if !ok {
		return err
	}
	p := who(c)
	got, err := s.st.Claim(c.UserContext(), conv.Tenant, conv.ID, p.agent.ID, time.Now())
	if err != nil {
		return storeError(c, err)
	}
	if conv.Status != store.StatusAssigned {
		_ = s.st.MarkAssigned(c.UserContext(), got.Tenant, got.ID, time.Now())
		s.assigned(c.UserContext(), got, p.agent)
	}
	return c.JSON(view(got, got.Priority))
}

func (s *Service) claimNext(c *fiber.Ctx) error {
	p := who(c)
	got, err := s.takeNext(c.UserContext(), p.agent) // priority computed now (queue.go)
	if errors.Is(err, store.ErrEmpty) {
		return apiError(c, fiber.StatusNotFound, CodeNotFound, "the queue is empty")
	}
	if err != nil {
		return storeError(c, err)
	}
	s.assigned(c.UserContext(), got, p.agent)
	return c.JSON(view(got, got.Priority))
}

func (s *Service) assigned(ctx context.Context, conv store.Conversation, a store.Agent) {
	s.emit(chat.Event{Type: chat.EventAssigned, Tenant: conv.Tenant, ConversationID: conv.ID, Visitor: conv.Visitor, Agent: a.Name})
	s.updateQueueDepth(ctx)
	s.queueChanged(conv.Tenant)
}

func (s *Service) reply(c *fiber.Ctx) error {
	conv, ok, err := s.conversation(c)
	if !ok {
		return err
	}
	var req ReplyRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	if req.ID == "" {
		req.ID = chat.NewID()
	}
	m := chat.Message{ID: req.ID, ConversationID: conv.ID, Role: chat.RoleAgent, Source: chat.SourceCentral,
		Text: strings.TrimSpace(req.Text), Lang: conv.Lang, At: time.Now()}
	if err := m.Validate(0); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	p := who(c)
	m.Author = p.agent.Name
	ctx := c.UserContext()
	route, err := s.pickRoute(ctx, conv, req.Channel) // api_channels.go
	if errors.Is(err, errNoSuchReplyChannel) {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	if err != nil {
		return storeError(c, err)
	}
	m.Channel, m.ChannelID = route.Channel, route.ChannelID
	if conv.Status != store.StatusAssigned || conv.Agent != p.agent.ID {
		got, err := s.st.Claim(ctx, conv.Tenant, conv.ID, p.agent.ID, time.Now())
		if err != nil {
			return storeError(c, err)
		}
		_ = s.st.MarkAssigned(ctx, got.Tenant, got.ID, time.Now())
		s.assigned(ctx, got, p.agent)
		conv = got
	}
	if prev, err := s.st.Message(ctx, conv.Tenant, m.ID); err == nil {
		m = prev // a retry: never translate twice
	} else {
		s.translateReply(ctx, conv, p.agent, &m) // translation.go
	}
	conv, stored, err := s.st.SaveReply(ctx, conv.Tenant, m, false)
	if err != nil {
		return storeError(c, err)
	}
	if !stored {
		prev, err := s.st.Message(ctx, conv.Tenant, m.ID)
		if err != nil {
			return storeError(c, err)
		}
		if prev.ConversationID != conv.ID || prev.Role != chat.RoleAgent {
			return apiError(c, fiber.StatusConflict, "duplicate_id", "message id already used")
		}
		return c.JSON(prev)
	}
	s.m.messagesStored.WithLabelValues(string(chat.RoleAgent)).Inc()
	if m.Original != nil || m.Translation != nil {
		if err := s.st.PutMessageText(ctx, conv.Tenant, m.ID, m.Translation, m.Original); err != nil {
			s.log.Warn("store original", "id", m.ID, "err", err)
		}
	}
	_ = s.st.MarkFirstResponse(ctx, conv.Tenant, conv.ID, time.Now())
	s.emit(chat.Event{Type: chat.EventMessage, Tenant: conv.Tenant, ConversationID: conv.ID, Visitor: conv.Visitor, Message: &m})
	out := chat.Envelope{Tenant: conv.Tenant, Region: conv.Region, Channel: m.Channel, Visitor: conv.Visitor}
	if route.Visitor != "" {
		out.SetLabel(chat.LabelReplyRoute, route.Visitor)
	}
	s.publishReply(c.UserContext(), out, m)
	return c.Status(fiber.StatusCreated).JSON(m)
}

func (s *Service) closeConversation(c *fiber.Ctx) error {
	conv, ok, err := s.conversation(c)
	if !ok {
		return err
	}
	p := who(c)
	if conv.Status == store.StatusAssigned && conv.Agent != p.agent.ID {
		return storeError(c, store.ErrTaken)
	}
	got, err := s.st.CloseConversation(c.UserContext(), conv.Tenant, conv.ID, time.Now())
	if err != nil {
		return storeError(c, err)
	}
	if conv.Status != store.StatusClosed {
		s.emit(chat.Event{Type: chat.EventClosed, Tenant: got.Tenant, ConversationID: got.ID, Visitor: got.Visitor, Agent: p.agent.Name})
		s.updateQueueDepth(c.UserContext())
		s.afterClose(c.UserContext(), conv, got) // CSAT request, queue (api_queue.go)
	}
	return c.JSON(view(got, got.Priority))
}

// ---- console WebSocket ----

func (s *Service) wsUpgrade(c *fiber.Ctx) error {
	if !websocket.IsWebSocketUpgrade(c) {
		return apiError(c, fiber.StatusUpgradeRequired, CodeBadRequest, "WebSocket upgrade expected")
	}
	p, err := s.resolve(c.UserContext(), c.Query("token"))
	if err != nil {
		return apiError(c, fiber.StatusUnauthorized, CodeUnauthorized, "invalid or expired token")
	}
	c.Locals("principal", p)
	return c.Next()
}

// Console socket limits and close reasons.
const (
	// maxConsoleFrame caps a frame from a console, like the shopper
	// socket's frame cap: a bigger one closes the socket with 1009.
	maxConsoleFrame = 64 << 10
	// consoleCheckEvery is how often an open console socket checks that its
	// session still exists (logout on another replica, an agent removed).
	consoleCheckEvery = 30 * time.Second
	// closeSessionEnded is the close code when the session behind a
	// console socket ended (logout, expiry): log in again.
	closeSessionEnded = 4001
	closeLoggedOut    = "logged out"
	closeExpired      = "session expired"
)

// consoleWS serves one console socket: events of the agent's tenant until
// the client leaves, its session ends (logout here or elsewhere, expiry)
// or the service stops. It returns only after its reader goroutine has
// returned: the websocket library recycles conn when the handler returns.
func (s *Service) consoleWS(conn *websocket.Conn) {
	defer conn.Close() // last: an HTTP server that keeps hijacked connections (the edge's, kefu dev) leaves it to us
	p := conn.Locals("principal").(principal)
	// In the hub first, then the feed: an event the feed delivers once it
	// is subscribed reaches this socket too (joined after it, the socket
	// missed what arrived in between: TestConsoleFeedFollowsTheSockets
	// failed so under -race in CI).
	cl := s.hub.join(p.agent.Tenant, p.tokenHash)
	defer s.hub.leave(p.agent.Tenant, cl)
	if err := s.feedJoin(); err != nil { // the events' subscriptions (consolefeed.go)
		s.log.Warn("console: no live events", "err", err)
	}
	defer s.feedLeave()
	conn.SetReadLimit(maxConsoleFrame)
	readerDone := make(chan struct{})
	defer s.consoleGone(p.agent) // presence (api_queue.go)
	s.consoleJoined(p.agent)
	var status atomic.Value
	status.Store(store.PresenceOnline)
	// Reader: presence, activity and typing frames (work.go), the client
	// going away, and frames over the limit (the library answers 1009).
	go func() {
		defer close(readerDone)
		defer cl.stop("")
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			s.onConsoleFrame(p.agent, &status, data)
		}
	}()
	defer func() {
		_ = conn.SetReadDeadline(time.Now()) // wake the reader
		<-readerDone
	}()
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	check := time.NewTicker(consoleCheckEvery)
	defer check.Stop()
	expiry := time.NewTimer(time.Until(p.expires))
	defer expiry.Stop()
	closeWith := func(code int, reason string) {
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	}
	for {
		select {
		case data := <-cl.send:
			_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := conn.WriteMessage(websocket.TextMessage, data); err != nil {
				return
			}
		case <-ping.C:
			s.consoleSeen(p.agent, status.Load().(string))
			_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		case <-check.C:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := s.st.Session(ctx, p.tokenHash, time.Now())
			cancel()
			if errors.Is(err, store.ErrNotFound) {
				closeWith(closeSessionEnded, closeLoggedOut)
				return
			}
		case <-expiry.C:
			closeWith(closeSessionEnded, closeExpired)
			return
		case <-cl.done:
			if why := cl.reason(); why != "" {
				closeWith(closeSessionEnded, why)
			} else {
				closeWith(websocket.CloseGoingAway, "")
			}
			return
		}
	}
}

// hub fans events out to the console sockets of each tenant.
type hub struct {
	mu      sync.Mutex
	clients map[string]map[*client]struct{}
}

type client struct {
	send      chan []byte
	done      chan struct{}
	once      sync.Once
	tokenHash string // the session behind the socket
	why       string // set once by stop: why the session ended ("" otherwise)
}

// stop ends the socket; why, when not "", is sent as the close reason
// (closeLoggedOut). Only the first call counts.
func (c *client) stop(why string) {
	c.once.Do(func() {
		c.why = why
		close(c.done)
	})
}

// reason is stop's why; call it after done is closed.
func (c *client) reason() string { return c.why }

func newHub() *hub { return &hub{clients: map[string]map[*client]struct{}{}} }

func (h *hub) join(tenant, tokenHash string) *client {
	c := &client{send: make(chan []byte, 256), done: make(chan struct{}), tokenHash: tokenHash}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.clients[tenant] == nil {
		h.clients[tenant] = map[*client]struct{}{}
	}
	h.clients[tenant][c] = struct{}{}
	return c
}

// endSession stops every console socket of the session tokenHash.
func (h *hub) endSession(tokenHash, why string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.clients {
		for c := range set {
			if c.tokenHash == tokenHash {
				c.stop(why)
			}
		}
	}
}

func (h *hub) leave(tenant string, c *client) {
	c.stop("")
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.clients[tenant], c)
	if len(h.clients[tenant]) == 0 {
		delete(h.clients, tenant)
	}
}

// idle reports whether no console is connected (leave drops a tenant's
// empty set).
func (h *hub) idle() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients) == 0
}

// broadcast queues data for every console of tenant; a console too slow to
// keep 256 events in hand is disconnected (it reloads on reconnect).
func (h *hub) broadcast(tenant string, data []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients[tenant] {
		select {
		case c.send <- data:
		default:
			c.stop("")
		}
	}
}

func (h *hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.clients {
		for c := range set {
			c.stop("")
		}
	}
}
