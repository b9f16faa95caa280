// Package stack assembles the all-in-one embedded default that `kefu dev`
// runs and the end-to-end tests drive: an embedded nats-server with
// JetStream, central on SQLite, one edge node with the built-in plugins in
// wazero sandboxes, the storefront demo and the agent console, all on one
// Fiber app on one loopback address.
package stack

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/nats-io/nats.go"
	"github.com/valyala/fasthttp"

	"github.com/kefu-io/kefu/assets/demo"
	"github.com/kefu-io/kefu/assets/faq"
	"github.com/kefu-io/kefu/assets/widget"
	"github.com/kefu-io/kefu/central"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/edge/intentcheck"
	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/internal/fdlimit"
	"github.com/kefu-io/kefu/internal/metric"
	"github.com/kefu-io/kefu/internal/natsembed"
	"github.com/kefu-io/kefu/internal/tracing"
	"github.com/kefu-io/kefu/models/artifacts"
	"github.com/kefu-io/kefu/plugins/order-status/testserver"
)

// DemoSite is the site key (and tenant) of the demo storefront.
const DemoSite = "demo"

// Options configures a Stack.
type Options struct {
	// Addr is the listen address. Default: 127.0.0.1:8080; port 0 picks one.
	Addr string
	// DataDir holds kefu.db, the NATS store, the plugin cache and the PII
	// vault (vault/: sealed values, audit.jsonl, vault.key). Default: ./data.
	DataDir string
	// AgentEmail and AgentPassword are the demo tenant's agent login.
	// Default: agent@demo.kefu and a random password.
	AgentEmail, AgentPassword string
	// Plugins configures the edge plugin host; nil runs the default pipeline
	// of the built-in plugins (DefaultPluginConfig).
	Plugins *pluginhost.Config
	// PluginCache keeps wazero's compiled plugins across starts.
	// Default: <DataDir>/plugin-cache.
	PluginCache string
	// Channels configures the edge's platform channels (/channels/…).
	// Default: edge's defaults.
	Channels edge.ChannelOptions
	// SMTPAddr, when set, receives the e-mail of e-mail channels over SMTP
	// (kefu dev --smtp-addr 127.0.0.1:2525). Attachments are kept under
	// <DataDir>/attachments unless Channels.AttachmentDir says otherwise.
	SMTPAddr string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// MaxConns caps the edge's WebSocket connections (edge.Config.MaxConns).
	// Default: derived from RLIMIT_NOFILE.
	MaxConns int
	// MaxConnsPerIP caps the connections from one address
	// (edge.Config.MaxConnsPerIP). Default: 1,000.
	MaxConnsPerIP int
	// DemoHistoryDays, when positive, seeds that many days of synthetic,
	// removable demo history (package central/demo) in the background
	// after start, unless the demo tenant has it already.
	DemoHistoryDays int
	// NoDemoKnowledge skips loading the demo knowledge pack (assets/kb)
	// into an empty demo tenant.
	NoDemoKnowledge bool
	// OTLPEndpoint, when set, exports OpenTelemetry traces of every
	// shopper message there (OTLP/HTTP JSON, ".../v1/traces"): the edge's
	// spans as service kefu-edge, central's as kefu-central (package
	// internal/tracing). Default: "", no traces.
	OTLPEndpoint string
}

// EdgeRegion is the region of the stack's edge.
const EdgeRegion = "local"

// Stack is a running all-in-one Kefu.
type Stack struct {
	// URL is the base URL, e.g. http://127.0.0.1:8080.
	URL string
	// AgentEmail and AgentPassword log in to the console as the demo agent.
	AgentEmail, AgentPassword string
	// DBPath is the SQLite file of central.
	DBPath string

	nats    *natsembed.Server
	ncEdge  *nats.Conn
	ncCen   *nats.Conn
	host    *pluginhost.Host
	central *central.Service
	edge    *edge.Node
	app     *fiber.App
	ln      net.Listener
	orders  *testserver.Server
	reg     *metric.Registry
	done    chan error
	smtp    net.Listener // e-mail channels (channels.go)
	log     *slog.Logger
	// tracers of the edge and central (Options.OTLPEndpoint), nil when off.
	edgeTracer, centralTracer *tracing.Tracer
}

// Start starts every part and returns once /healthz would answer 200.
func Start(ctx context.Context, o Options) (*Stack, error) {
	o = o.withDefaults()
	s := &Stack{AgentEmail: o.AgentEmail, AgentPassword: o.AgentPassword, reg: NewRegistry(), done: make(chan error, 1), log: o.Logger}
	if err := s.start(ctx, o); err != nil {
		s.Close() // stops what did start
		return nil, err
	}
	return s, nil
}

func (s *Stack) start(ctx context.Context, o Options) (err error) {
	// The data folder holds shoppers' credentials (visitor and conversation
	// ids), the vault and the NATS store: the owner only.
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return fmt.Errorf("stack: data folder: %w", err)
	}
	// NATS refuses anonymous clients: central and the edge each connect
	// with their role's credentials, derived from a secret made once, 0600,
	// in the data folder (internal/natsembed auth.go, SECURITY.md).
	secret, err := natsembed.LoadOrCreateSecret(filepath.Join(o.DataDir, natsembed.SecretFile))
	if err != nil {
		return err
	}
	if s.nats, err = natsembed.Start(natsembed.Options{StoreDir: filepath.Join(o.DataDir, "nats"), Auth: &natsembed.Auth{Secret: secret}}); err != nil {
		return err
	}
	if s.ncCen, err = s.nats.ConnectAs(natsembed.CentralUser, "kefu-central"); err != nil {
		return err
	}
	if s.ncEdge, err = s.nats.ConnectAs(natsembed.EdgeUser(EdgeRegion), "kefu-edge-"+EdgeRegion); err != nil {
		return err
	}
	WatchNATSErrors(s.ncCen, "central", s.reg, o.Logger)
	WatchNATSErrors(s.ncEdge, "edge", s.reg, o.Logger)
	pack, err := DefaultFAQ()
	if err != nil {
		return err
	}
	if o.OTLPEndpoint != "" {
		for _, t := range []struct {
			tr      **tracing.Tracer
			service string
		}{{&s.edgeTracer, "kefu-edge"}, {&s.centralTracer, "kefu-central"}} {
			if *t.tr, err = tracing.New(tracing.Options{Endpoint: o.OTLPEndpoint, Service: t.service, Headers: tracing.HeadersFromEnv(),
				Attributes: map[string]string{"kefu.region": EdgeRegion}, Logger: o.Logger}); err != nil {
				return err
			}
		}
	}
	s.DBPath = filepath.Join(o.DataDir, "kefu.db")
	if s.central, err = startCentral(ctx, s, o, pack); err != nil {
		return err
	}
	if s.ln, err = Listen(o.Addr, s.reg, o.Logger); err != nil {
		return fmt.Errorf("stack: %w", err)
	}
	s.URL = "http://" + s.ln.Addr().String()
	s.orders = startOrderAPI()
	pc := DefaultPluginConfig(o.PluginCache, s.orders.URL+"/v1/orders", s.orders.Listener.Addr().String(), o.Logger)
	if o.Plugins != nil {
		pc = *o.Plugins
	}
	if pc.VaultDir == "" {
		// The vault and its audit log survive restarts; the key is made
		// once, 0600, beside them (edge/pluginhost vaultfile.go).
		pc.VaultDir = filepath.Join(o.DataDir, "vault")
	}
	if pc.Registerer == nil {
		pc.Registerer = s.reg
	}
	if s.host, err = pluginhost.NewHost(ctx, pc); err != nil {
		return fmt.Errorf("stack: plugin host: %w", err)
	}
	check, err := intentcheck.Shipped()
	if err != nil {
		return fmt.Errorf("stack: %w", err)
	}
	s.edge, err = edge.New(ctx, edge.Config{
		Region:  EdgeRegion,
		NATS:    s.ncEdge,
		Plugins: s.host,
		Intent:  check,
		// The demo storefront's origin is the only page origin allowed
		// (its own); merchants' sites list theirs (edge.Site.Origins).
		Sites:         map[string]edge.Site{DemoSite: {Tenant: DemoSite, FAQ: pack, Origins: []string{s.URL}}},
		SiteCache:     filepath.Join(o.DataDir, "edge-sites.json"),
		WidgetFS:      widget.FS(),
		DemoFS:        demo.FS(),
		Models:        artifacts.WidgetModels(),
		Logger:        o.Logger,
		Channels:      o.channels(),
		Registerer:    s.reg,
		MaxConns:      o.MaxConns,
		MaxConnsPerIP: o.MaxConnsPerIP,
		Tracer:        s.edgeTracer,
	})
	if err != nil {
		return fmt.Errorf("stack: edge: %w", err)
	}
	if o.SMTPAddr != "" {
		if err := s.startSMTP(o.SMTPAddr); err != nil {
			return err
		}
	}
	s.app = NewAppWith(s.reg)
	AddReady(s.app, s.central.Ready, s.edge.Ready)
	s.edge.Register(s.app)
	s.central.Register(s.app)
	go func() { s.done <- s.app.Listener(s.ln) }()
	if o.DemoHistoryDays > 0 {
		go seedDemo(ctx, s.central, o)
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:8080"
	}
	if o.DataDir == "" {
		o.DataDir = "data"
	}
	if o.PluginCache == "" {
		o.PluginCache = filepath.Join(o.DataDir, "plugin-cache")
	}
	if o.AgentEmail == "" {
		o.AgentEmail = "agent@demo.kefu"
	}
	if o.AgentPassword == "" {
		o.AgentPassword = chat.NewID()[14:]
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// NewApp returns a Fiber app with what every Kefu server has: /healthz and
// /metrics (Prometheus text: the Go runtime's and the process's metrics,
// metric.Runtime).
func NewApp() *fiber.App { return NewAppWith(nil) }

// NewRegistry returns the registry a Kefu process passes to its parts
// (central.Config, edge.Config, pluginhost.Config Registerer); NewAppWith
// serves it at /metrics beside the Go runtime's and the process's
// metrics.
func NewRegistry() *metric.Registry { return metric.NewRegistry() }

// NewAppWith is NewApp whose /metrics also serves reg (nil: only the
// runtime's and the process's metrics).
func NewAppWith(reg metric.Gatherer) *fiber.App {
	app := NewAppWithoutMetrics()
	app.Get("/metrics", metricsGuard(os.Getenv(MetricsTokenEnv)), adaptor.HTTPHandler(MetricsHandler(reg)))
	return app
}

// NewAppWithoutMetrics is NewApp without /metrics, for a process that
// serves its metrics on a separate listener (ServeMetrics).
func NewAppWithoutMetrics() *fiber.App {
	app := fiber.New(fiber.Config{
		DisableStartupMessage: true,
		BodyLimit:             1 << 20,
		ReadTimeout:           30 * time.Second,
		IdleTimeout:           120 * time.Second,
	})
	app.Use(securityHeaders)
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	return app
}

// MetricsHandler serves the Go runtime's and the process's metrics
// (metric.Runtime) and reg (nil: only those) in Prometheus's text format.
func MetricsHandler(reg metric.Gatherer) http.Handler {
	if reg == nil {
		return metric.Handler(metric.Runtime)
	}
	return metric.Handler(metric.Runtime, reg)
}

// ServeMetrics serves GET /metrics (MetricsHandler) on its own listener at
// addr until ctx ends, for a Prometheus on an internal network: any
// client may scrape it, or with MetricsTokenEnv set only requests with
// that bearer token. It returns the address it listens on.
func ServeMetrics(ctx context.Context, addr string, reg metric.Gatherer, log *slog.Logger) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listener: %w", err)
	}
	token := os.Getenv(MetricsTokenEnv)
	metrics := MetricsHandler(reg)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				http.Error(w, "metrics token required", http.StatusUnauthorized)
				return
			}
		}
		metrics.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Info("metrics listening", "addr", ln.Addr().String())
	return ln.Addr(), nil
}

// MetricsTokenEnv names the environment variable holding the bearer token
// of /metrics. Without it, /metrics answers only clients connecting from
// loopback (a Prometheus on the same host); with it, only requests with
// "Authorization: Bearer <token>" (from anywhere). Behind a reverse proxy
// on the same host every client looks local: set the token there.
const MetricsTokenEnv = "KEFU_METRICS_TOKEN"

// metricsGuard protects /metrics (MetricsTokenEnv).
func metricsGuard(token string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if token != "" {
			got, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				return c.Status(fiber.StatusUnauthorized).JSON(fiber.Map{"error": "metrics token required", "code": "unauthorized"})
			}
			return c.Next()
		}
		if ip := c.Context().RemoteIP(); ip == nil || !ip.IsLoopback() {
			return c.Status(fiber.StatusForbidden).JSON(fiber.Map{"error": "metrics are served to loopback clients only; set " + MetricsTokenEnv + " to scrape from elsewhere", "code": "forbidden"})
		}
		return c.Next()
	}
}

// securityHeaders sets the headers every response of a Kefu server
// carries: no MIME sniffing, and no full URLs (which may hold ids) in the
// Referer of requests pages make elsewhere. Pages set their own
// Content-Security-Policy (console, demo).
func securityHeaders(c *fiber.Ctx) error {
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "strict-origin-when-cross-origin")
	if strings.HasPrefix(c.Path(), "/v1/") || strings.HasPrefix(c.Path(), "/admin/") {
		c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	return c.Next()
}

// LargeBody lets requests of method to paths under prefix carry bodies up to
// limit bytes, while every other route keeps the app's BodyLimit (1 MiB
// from NewApp): fasthttp decides per request, from the header, before it
// reads the body. The plugin admin API uses it for bundles
// (pluginhost.MaxBundleBytes).
func LargeBody(app *fiber.App, method, prefix string, limit int) {
	srv := app.Server()
	prev := srv.HeaderReceived
	srv.HeaderReceived = func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
		if string(h.Method()) == method && strings.HasPrefix(string(h.RequestURI()), prefix) {
			return fasthttp.RequestConfig{MaxRequestBodySize: limit}
		}
		if prev != nil {
			return prev(h)
		}
		return fasthttp.RequestConfig{}
	}
}

// A ReadyFunc reports why a part should not get traffic now (nil: ready).
type ReadyFunc func(context.Context) error

// AddReady adds GET /readyz to app: 200 {"ready":true} while every check
// passes, else 503 with Retry-After and the reasons. /healthz stays 200
// while the process runs: load balancers route by /readyz, supervisors
// restart by /healthz. Call it once per app.
func AddReady(app *fiber.App, checks ...ReadyFunc) {
	app.Get("/readyz", func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		var failed []string
		for _, check := range checks {
			if err := check(ctx); err != nil {
				failed = append(failed, err.Error())
			}
		}
		if len(failed) > 0 {
			c.Set(fiber.HeaderRetryAfter, "5")
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"ready": false, "reasons": failed})
		}
		return c.JSON(fiber.Map{"ready": true})
	})
}

// Listen listens on addr for a Kefu server: failed accepts (out of file
// descriptors, …) back off and retry instead of ending the server
// (internal/fdlimit), counted in kefu_accept_errors_total on reg (nil:
// not counted).
func Listen(addr string, reg metric.Registerer, log *slog.Logger) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	var onError func()
	if reg != nil {
		c := metric.NewCounter(metric.CounterOpts{Name: "kefu_accept_errors_total",
			Help: "Failed accepts of the HTTP listener (retried with backoff), e.g. out of file descriptors."})
		if err := reg.Register(c); err == nil {
			onError = c.Inc
		}
	}
	return fdlimit.Wrap(ln, log, onError), nil
}

// DefaultFAQ decodes the default FAQ pack (assets/faq) for the demo tenant.
func DefaultFAQ() (chat.FAQPack, error) {
	var p chat.FAQPack
	if err := json.Unmarshal(faq.Default(), &p); err != nil {
		return p, fmt.Errorf("stack: default FAQ pack: %w", err)
	}
	p.Tenant = DemoSite
	return p, nil
}

// Close stops every part, the listener first. The HTTP server's shutdown
// waits for open requests, and a shopper's WebSocket stays open until the
// edge says goodbye (1001, the widget reconnects elsewhere or later), so the
// edge closes while the server shuts down, not after it.
func (s *Stack) Close() error {
	var errs []error
	shut := make(chan error, 1)
	if s.app != nil {
		go func() { shut <- s.app.ShutdownWithTimeout(5 * time.Second) }()
	} else {
		if s.ln != nil {
			s.ln.Close()
		}
		shut <- nil
	}
	if s.edge != nil {
		errs = append(errs, s.edge.Close())
	}
	errs = append(errs, <-shut)
	if s.host != nil {
		errs = append(errs, s.host.Close())
	}
	if s.central != nil {
		errs = append(errs, s.central.Close())
	}
	for _, nc := range []*nats.Conn{s.ncEdge, s.ncCen} {
		if nc != nil {
			nc.Close()
		}
	}
	if s.nats != nil {
		s.nats.Shutdown()
	}
	if s.orders != nil {
		s.orders.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	errs = append(errs, s.edgeTracer.Close(ctx), s.centralTracer.Close(ctx))
	return errors.Join(errs...)
}

// Wait blocks until the HTTP server stops.
func (s *Stack) Wait() error { return <-s.done }
