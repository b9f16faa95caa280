package edge

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/intentcheck"
	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/internal/fdlimit"
	"github.com/kefu-io/kefu/internal/metric"
	"github.com/kefu-io/kefu/internal/tracing"
)

// Plugins runs a region's plugin pipeline over one envelope. *pluginhost.Host
// implements it; tests and benchmarks may pass their own. Run must be safe for
// concurrent use. The edge recovers a panic in Run and treats it like an
// error wrapping pluginhost.ErrPluginFailed: the message is refused with
// code unavailable and the connection stays up.
type Plugins interface {
	Run(ctx context.Context, region string, hook pluginhost.Hook, env chat.Envelope) (pluginhost.Outcome, error)
}

// BoundedPlugins is implemented by Plugins that bound a run by a timeout
// themselves (*pluginhost.Host: RunWithin makes the deadline's context only
// when it enters a plugin's guest). The edge calls RunWithin with
// PluginTimeout instead of Run under a context.WithTimeout.
type BoundedPlugins interface {
	RunWithin(ctx context.Context, timeout time.Duration, region string, hook pluginhost.Hook, env chat.Envelope) (pluginhost.Outcome, error)
}

var _ BoundedPlugins = (*pluginhost.Host)(nil)

// PipelineLister is implemented by Plugins that can tell whether a region's
// pipeline for a hook has any plugin (*pluginhost.Host does: its pipelines
// are fixed when it is made). The edge asks once, in New: a hook that runs
// no plugin is still passed to Run (which answers at once), but on the
// calling goroutine, without the hop to an inbound worker or an outbound
// lane that only a plugin's work is worth.
type PipelineLister interface {
	HasPipeline(region string, hook pluginhost.Hook) bool
}

// Site is one merchant site the edge serves, looked up by its site key (the
// `site` query parameter of /ws and every /w/ route).
type Site struct {
	// Tenant is the merchant the site belongs to; envelopes carry it.
	// Default: the site key.
	Tenant string
	// FAQ is the pack the widget caches to answer in the browser, served
	// split by language at /w/faq/<lang>.json (see SplitFAQ).
	FAQ chat.FAQPack
	// Origins are the page origins ("https://shop.example") allowed to use
	// the site from a browser (AllowsOrigin): a request with an Origin
	// header not in the list gets 403 and no CORS header; a request
	// without Origin (a native app, a server) is allowed. The edge's own
	// origin (its demo page) is always allowed. "*" allows every origin
	// (a deliberate choice: any page can then open the site's chat).
	// Default: none but the edge's own.
	Origins []string
	// Greeting is the first message the widget shows (the tenant's
	// widget.greeting; served by /w/config); empty: the widget's own.
	Greeting string
	// Settings are the tenant's public settings (served by /w/config).
	Settings map[string]string
	// IdentitySecret keys the HMAC-SHA256 of identify() hashes; empty: the
	// site accepts no identity (identify is refused).
	IdentitySecret string
	// Remote is set for a site from central's configuration (sites.go).
	Remote bool
}

// AllowsOrigin reports whether a browser page of origin may use the site,
// for a request that reached the edge as host (the Host header): no
// origin, the edge's own origin (same host), an origin in Origins, or "*"
// in Origins. It is the one per-site origin check (WebSocket, widget
// routes); feeding Origins from elsewhere (the site configuration central
// keeps) needs nothing else.
func (s Site) AllowsOrigin(origin, host string) bool {
	if origin == "" {
		return true
	}
	for _, o := range s.Origins {
		if o == "*" || o == origin {
			return true
		}
	}
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && strings.EqualFold(u.Host, host)
}

// Config configures a Node. Zero values take the documented defaults.
type Config struct {
	// Region names this edge's region ("eu", "cn", "local"); envelopes carry
	// it and the edge subscribes to chat.OutboundSubject(Region, "*").
	// Default: "local".
	Region string
	// NATS is the connection to the NATS system shared with central. The
	// Node does not close it. Required.
	NATS *nats.Conn
	// Leaf, when set, says that NATS is a connection to the edge's own
	// server, a leaf node of central's: the edge publishes into its regional
	// stream and keeps it declared as a source of central's KEFU_INBOUND
	// (see Leaf). Default: nil, NATS is central's NATS system and the edge
	// publishes to KEFU_INBOUND directly.
	Leaf *Leaf
	// Plugins runs the inbound and outbound pipelines. Default: nil, no plugins.
	Plugins Plugins
	// Intent scores each inbound shopper message with the edge's own
	// model before the inbound pipeline runs and puts its label in place
	// of the widget's hint, so that plugins see an intent and its
	// confidence that no client and no browser model decides
	// (chat.Message.IntentConfidence, plugins/ABI.md section 4).
	// Default: nil, the hint goes on unchecked with confidence 0.
	Intent *intentcheck.Checker
	// Vault reveals PII values kept in this region (POST /v1/reveal).
	// Default: Plugins, when it implements Revealer (*pluginhost.Host
	// does); else none and every token is unknown.
	Vault Revealer
	// ConsoleOrigins are the origins of agent consoles served elsewhere
	// ("https://central.shop.example") that may call POST /v1/reveal from
	// a browser (CORS with the Authorization header). Default: none; a
	// console on the edge's own origin (kefu dev) needs no entry.
	ConsoleOrigins []string
	// Sites maps site keys to sites. An unknown key gets 403. The sites of
	// central's configuration (chat.BucketSites, sites.go) are served too,
	// and replace one of these with the same key.
	Sites map[string]Site
	// SiteCache is a file where the edge keeps the last site configuration
	// it read from central, to serve it when it starts while central is
	// unreachable. Default: "", kept in memory only.
	SiteCache string
	// WidgetFS holds the widget's sources and build outputs
	// (assets/widget.FS()); the edge serves the files assets/widget.Build
	// makes of them at /<name> (the bootstrap kefu.js and content-hashed,
	// immutable loaders, style sheet and core), brotli or gzip as the client
	// accepts, with the copies the build precompressed (and checked) when
	// it made some for these files.
	// Without boot.js the files are served as they are. Missing files answer 404.
	// Default: nil, no widget files.
	WidgetFS fs.FS
	// DemoFS is served at /demo/ (the storefront demo). Default: nil.
	DemoFS fs.FS
	// Models maps a model name ("intent") to its artifact bytes, served at
	// /w/models/<name>.kmod and listed by /w/config. Default: none.
	Models map[string][]byte
	// MaxText is the largest message text accepted, in bytes.
	// Default: chat.MaxTextBytes.
	MaxText int
	// MaxFrame is the hard cap on one WebSocket frame in bytes; a bigger frame
	// closes the connection (status 1009) with a reason. Default: 64 KiB,
	// and at least 4×MaxText.
	MaxFrame int
	// MessageRate and MessageBurst limit message frames per connection
	// (token bucket, per second). Default: 5 per second, burst 20.
	MessageRate  float64
	MessageBurst int
	// FrameRate and FrameBurst limit all frames per connection.
	// Default: 50 per second, burst 100.
	FrameRate  float64
	FrameBurst int
	// PublishTimeout bounds the wait for JetStream's PubAck. Default: 5s.
	PublishTimeout time.Duration
	// HistoryTimeout bounds the history request made on resume and the
	// agent token check of POST /v1/reveal. Default: 3s.
	HistoryTimeout time.Duration
	// PluginTimeout bounds one pipeline run. Default: 2s.
	PluginTimeout time.Duration
	// OutboundLanes is how many replies from central run through the
	// outbound plugins at once: replies are spread over this many lanes by
	// conversation, in order within a conversation. Default: 4 ×
	// GOMAXPROCS (a lane mostly waits for a plugin instance or a socket).
	OutboundLanes int
	// InboundWorkers is how many shopper messages run through the inbound
	// plugins at once, on worker goroutines (inpool.go). Default: 4 ×
	// GOMAXPROCS (the pipeline is mostly CPU work in wasm; a plugin may
	// wait for its HTTP calls).
	InboundWorkers int
	// InboundQueue is how many shopper messages may wait for a worker;
	// one more is refused at once with an unavailable error frame (retry
	// with the same id). Default: 1024.
	InboundQueue int
	// SendQueue is how many frames may wait for one slow client before the
	// edge closes its connection (the client resumes). Default: 256.
	SendQueue int
	// MaxConns caps the open WebSocket connections of this edge; one more
	// gets 503 edge_full (with Retry-After) before the upgrade, while the
	// connections already open keep chatting. The cap never exceeds what
	// the process's RLIMIT_NOFILE allows with headroom (internal/fdlimit:
	// the limit less a tenth less 64, e.g. 17,936 of 20,000), so the
	// process does not run out of descriptors. Default: that derived cap;
	// a lower positive value is kept; negative: only the derived cap.
	MaxConns int
	// MaxHeapBytes refuses new connections (503 edge_full) while the Go
	// heap is above it, so a surge cannot push the process into the
	// kernel's OOM killer; open connections are unaffected. Default: 90% of
	// the Go memory limit (GOMEMLIMIT) when one is set, else 80% of the
	// cgroup's memory.max when there is one, else off; negative: off.
	MaxHeapBytes int64
	// MaxConnsPerIP caps the open WebSocket connections from one client
	// address (c.IP(), which honours Fiber's ProxyHeader when the app sets
	// it); one more gets 429 too_many_connections. Shoppers behind one NAT
	// share an address, so the default is generous: 1,000; negative: no cap.
	MaxConnsPerIP int
	// PingInterval is how often the edge sends WebSocket pings; a connection
	// silent for 2.5×PingInterval is closed. Default: 30s.
	PingInterval time.Duration
	// Channels configures the platform channels (/channels/<kind>/<id>,
	// channel.go). Zero values take its documented defaults.
	Channels ChannelOptions
	// Logger receives structured logs. Default: slog.Default().
	Logger *slog.Logger
	// Registerer receives the Node's Prometheus metrics (kefu_edge_*).
	// Default: nil, the metrics are counted but not exported.
	Registerer metric.Registerer
	// Tracer records the spans of each shopper message (edge.message,
	// the plugins, the NATS publish) and of each reply (edge.reply) and
	// carries the trace to central in the traceparent header (package
	// internal/tracing). Default: nil, no traces.
	Tracer *tracing.Tracer
}

// ErrNoNATS is returned by New when Config.NATS is nil.
var ErrNoNATS = errors.New("edge: config has no NATS connection")

func (c Config) withDefaults() (Config, error) {
	if c.NATS == nil {
		return c, ErrNoNATS
	}
	if c.Region == "" {
		c.Region = "local"
	}
	if chat.SubjectToken(c.Region) != c.Region {
		return c, fmt.Errorf("edge: region %q must be [0-9A-Za-z_-]+", c.Region)
	}
	if c.Leaf != nil {
		l, err := c.Leaf.withDefaults()
		if err != nil {
			return c, err
		}
		if l.Domain != chat.LeafDomain(c.Region) {
			return c, fmt.Errorf("edge: leaf domain %q: a leaf edge of region %q has domain %q (central's NATS sources a region's stream from that domain only)",
				l.Domain, c.Region, chat.LeafDomain(c.Region))
		}
		c.Leaf = &l
	}
	if c.MaxText <= 0 {
		c.MaxText = chat.MaxTextBytes
	}
	if c.MaxFrame <= 0 {
		c.MaxFrame = 64 << 10
	}
	if c.MaxFrame < 4*c.MaxText {
		c.MaxFrame = 4 * c.MaxText
	}
	if c.MessageRate <= 0 {
		c.MessageRate = 5
	}
	if c.MessageBurst <= 0 {
		c.MessageBurst = 20
	}
	if c.FrameRate <= 0 {
		c.FrameRate = 50
	}
	if c.FrameBurst <= 0 {
		c.FrameBurst = 100
	}
	if c.PublishTimeout <= 0 {
		c.PublishTimeout = 5 * time.Second
	}
	if c.HistoryTimeout <= 0 {
		c.HistoryTimeout = 3 * time.Second
	}
	if c.PluginTimeout <= 0 {
		c.PluginTimeout = 2 * time.Second
	}
	if c.OutboundLanes <= 0 {
		c.OutboundLanes = 4 * runtime.GOMAXPROCS(0)
	}
	if c.InboundWorkers <= 0 {
		c.InboundWorkers = 4 * runtime.GOMAXPROCS(0)
	}
	if c.InboundQueue <= 0 {
		c.InboundQueue = 1024
	}
	if c.SendQueue <= 0 {
		c.SendQueue = 256
	}
	c.MaxConns = fdlimit.Cap(c.MaxConns, fdlimit.ConnCap(fdlimit.NoFile()))
	if c.MaxHeapBytes == 0 {
		c.MaxHeapBytes = defaultMaxHeap()
	}
	if c.MaxConnsPerIP == 0 {
		c.MaxConnsPerIP = 1_000
	}
	if c.PingInterval <= 0 {
		c.PingInterval = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Vault == nil {
		if r, ok := c.Plugins.(Revealer); ok {
			c.Vault = r
		}
	}
	sites := make(map[string]Site, len(c.Sites))
	for k, s := range c.Sites {
		if k == "" {
			return c, errors.New("edge: a site has an empty key")
		}
		if s.Tenant == "" {
			s.Tenant = k
		}
		sites[k] = s
	}
	c.Sites = sites
	return c, nil
}
