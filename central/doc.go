// Package central is Kefu's central service: it consumes shoppers' messages
// from the edges over NATS JetStream, stores them, routes each conversation to
// the bot or to the human queue, answers from the knowledge hub, and serves
// the agents' REST API, console WebSocket and console page.
//
// # Use
//
//	svc, err := central.New(ctx, central.Config{NATS: nc, DataDir: "./data", FAQ: pack,
//		DemoAgentEmail: "agent@demo.kefu", DemoAgentPassword: pw})
//	svc.Register(app) // /v1/* and /console/ on a *fiber.App
//	defer svc.Close()
//
// # Config
//
//   - NATS (required): a connected *nats.Conn. The Service never closes it.
//   - Store: a store.Store to use; the Service does not close one it was given.
//     When nil, PostgresDSN selects PostgreSQL, else SQLite at DataDir/kefu.db.
//   - DataDir: folder for the SQLite file. Default "./data".
//   - PostgresDSN: PostgreSQL connection string (many replicas). Default "" (SQLite).
//   - FAQ: the default FAQ pack (chat.FAQPack), as a value; the Service does
//     not read files. A pack with an empty Tenant answers every tenant.
//     MoreFAQ adds per-tenant packs.
//   - KnowledgeThreshold: least knowledge score the bot answers with. Default
//     knowledge.DefaultThreshold.
//   - Intent: Classifier for messages that arrive without an intent (the
//     widget sends its own; other channels do not). When nil, the intent model
//     shipped in models/artifacts is loaded (ShippedIntent) unless
//     NoShippedModels is set. A label counts from IntentMinScore (default
//     0.5); the human-agent label hands off only from 0.8.
//   - LangID: Classifier for messages without a language; labels are
//     language subtags. When nil, the shipped language-id model is loaded
//     unless NoShippedModels is set. CJK scripts are decided before it.
//   - Anger: AngerScorer for the anger the router uses. When nil, the
//     shipped scorer (ShippedAnger: models/anger over the anger text model
//     and the sentiment model of models/artifacts) is built unless
//     NoShippedModels is set. Its score counts above 0.5 only with explicit
//     evidence in the text (an intensity cue or lexicon hit of anger.Find, a
//     router.KeywordAnger keyword, or the intent complaint), and the keyword
//     rule's score is a floor under it; messageAnger documents why and
//     TestAngerAccuracy measures it. The widget's anger hint counts only
//     without a model.
//   - DemoTenant: tenant created at start. Default "demo".
//   - DemoAgentEmail, DemoAgentPassword, DemoAgentName: seed (or reset) one
//     agent of DemoTenant. No agent is seeded when email or password is empty.
//   - EdgeURLs: edge region → base URL ("https://eu.edge.example"), served
//     to the console by GET /v1/console/config and allowed by the console
//     page's CSP, so that it sends reveal requests to the edge of the region
//     that keeps a value. Default: none, the console asks its own origin
//     (kefu dev). A value that is not an http(s) origin fails New.
//   - AutoErase: tenants ("*" = all) whose shoppers' GDPR erasure requests
//     are carried out at once. Default: none, an agent confirms with
//     POST /v1/conversations/:id/erase (erasure.go describes the flow).
//   - Router: thresholds (anger, bot failures) and the default SLA.
//   - AckWait: JetStream AckWait of the durable consumer. Default 30s.
//   - TokenTTL: life of a console bearer token. Default 12h.
//   - BcryptCost: cost of password hashes. Default bcrypt.DefaultCost.
//   - Logger: slog logger. Default slog.Default().
//   - Registerer: where the kefu_central_* and kefu_alert_* metrics are
//     registered. Default nil: counted, not exported (cmd/kefu passes the
//     registry it serves at /metrics).
//
// # Delivery
//
// The durable consumer "central" on stream KEFU_INBOUND (created idempotently
// when missing: subjects kefu.inbound.>, file storage, 2 minute duplicate
// window) delivers each envelope; the Service stores it (the message id is a
// unique key), routes and answers, and acks only after the store committed.
// A redelivered message is found in the store and not stored again; if its
// reply was stored too, the same reply (same id) is published again so an
// edge that missed it gets it, and the widget drops the duplicate by id. Bot
// replies and handoff notes get ids derived from the shopper message id, so
// they are idempotent across crashes and replicas. An envelope that cannot
// be decoded or fails chat.Envelope.Check is terminated (never redelivered)
// and logged with its reason.
//
// An envelope labelled edge_answer_id was answered by a plugin at the edge
// (docs/CONTRACTS.md): the Service stores the shopper message and the
// edge's answer (role bot, source edge, author = the plugin, the id from the
// label, so a redelivery stores nothing twice), emits their
// conversation.message events, and neither routes nor answers it, nor
// publishes a reply: the shopper has the answer already.
//
// An envelope labelled pii_tokens (chat.LabelPIITokens, set by the edge's
// pii-redact plugin) gives the stored shopper message its Message.PII: the
// vault tokens of the values masked in its text, with the envelope's region
// (whatever "pii" the client put in the message is replaced). Agents get
// them in the REST API and console events and reveal a value at that
// region's edge (POST /v1/reveal); history replies to the edges omit them.
//
// Replies go out on chat.OutboundSubject(region, tenant), conversation
// events on chat.EventsSubject(tenant), and chat.SubjectHistory requests are
// answered (queue group "central") only for the visitor who owns the
// conversation.
//
// # Agents
//
// Agents log in with tenant, email and password (bcrypt). The bearer token
// is 32 random bytes; the store keeps only its SHA-256. Every API call is
// scoped to the token's tenant: another tenant's conversation answers 404,
// exactly like a missing one, so ids cannot be probed.
//
// # The human queue and the agents' workspace
//
// queue.go: priority computed when the queue is read (router.Priority with
// the wait now), take-next, queue.position events with the wait estimate
// (docs/PROTOCOL.md §2.8). work.go: presence and capacity from the console
// WebSocket (activity, auto-away), routing rules to teams, push
// assignment (queue.assign), callback and after-hours tickets, local
// answers and ratings arriving as labelled envelopes, SLA breaches once.
// hours.go: business hours and holidays of tenants and teams.
// translation.go: two-way machine translation (package translate).
// api_queue.go: the workspace's REST routes. worksettings.go: the tenant
// settings these read (translate.*, hours.*, queue.*, sla.*).
package central
