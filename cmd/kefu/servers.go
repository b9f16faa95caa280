package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/assets/demo"
	"github.com/kefu-io/kefu/assets/widget"
	"github.com/kefu-io/kefu/central"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/edge/intentcheck"
	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/internal/hugepages"
	"github.com/kefu-io/kefu/internal/metric"
	"github.com/kefu-io/kefu/internal/natsembed"
	"github.com/kefu-io/kefu/internal/stack"
	"github.com/kefu-io/kefu/internal/tracing"
	"github.com/kefu-io/kefu/models/artifacts"
	"github.com/kefu-io/kefu/plugins/builtin"
)

func init() {
	register("central", "the central service (store, router, knowledge, REST API, console)", runCentral)
	register("edge", "a regional edge node (widget, WebSocket, plugins)", runEdge)
}

// serverFlags are the flags kefu central and kefu edge share.
type serverFlags struct {
	addr, natsURL, faq string
	metricsAddr        string
	pprofAddr          string
	verbose            bool
	natsCreds          string
	creds              *natsembed.Credentials
	otlp               string
}

func (f *serverFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&f.metricsAddr, "metrics-addr", os.Getenv("KEFU_METRICS_ADDR"),
		"serve Prometheus /metrics on this separate address (default $KEFU_METRICS_ADDR) instead of on --addr, to any client or with $"+stack.MetricsTokenEnv+" only with that bearer token")
	fs.StringVar(&f.pprofAddr, "pprof-addr", "", pprofHelp)
	fs.StringVar(&f.natsURL, "nats", nats.DefaultURL, "NATS URL (JetStream enabled)")
	fs.StringVar(&f.faq, "faq", "", "FAQ pack JSON (chat.FAQPack); default: the built-in demo pack")
	fs.BoolVar(&f.verbose, "v", false, "debug logs")
	fs.StringVar(&f.otlp, "otlp-endpoint", tracing.EndpointFromEnv(), otlpHelp)
	fs.StringVar(&f.natsCreds, "nats-credentials", os.Getenv("KEFU_NATS_CREDENTIALS"),
		"JSON file {\"user\":…,\"password\":…} of the NATS connection (default $KEFU_NATS_CREDENTIALS); for central's embedded NATS: `kefu nats-credentials --data DATA --region REGION --out FILE`")
}

// otlpHelp is the help of --otlp-endpoint (kefu dev, central, edge).
const otlpHelp = "export OpenTelemetry traces of every shopper message (edge, plugins, NATS, central) to this OTLP/HTTP endpoint as JSON, e.g. http://collector:4318/v1/traces (default $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else $OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces; empty: off; request headers from $OTEL_EXPORTER_OTLP_HEADERS)"

// tracer is the process's tracer (nil with no --otlp-endpoint); close it
// with closeTracer.
func (f *serverFlags) tracer(service, region string, log *slog.Logger) (*tracing.Tracer, error) {
	if f.otlp == "" {
		return nil, nil
	}
	attrs := map[string]string{}
	if region != "" {
		attrs["kefu.region"] = region
	}
	return tracing.New(tracing.Options{Endpoint: f.otlp, Service: service, Attributes: attrs, Headers: tracing.HeadersFromEnv(), Logger: log})
}

// closeTracer exports the spans left, for at most 5 s.
func closeTracer(t *tracing.Tracer) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = t.Close(ctx)
}

// pprofHelp is the help of --pprof-addr (kefu dev, central, edge).
const pprofHelp = "serve Go's profiles (/debug/pprof/) on this loopback address, e.g. 127.0.0.1:6060 (default: off; `kefu bench stack` reads the CPU profile there)"

// app is the process's Fiber app: with --metrics-addr its /metrics is on
// that separate listener (started here, stopped with ctx), else on --addr.
func (f *serverFlags) app(ctx context.Context, reg *metric.Registry, log *slog.Logger) (*fiber.App, error) {
	if f.pprofAddr != "" {
		if _, err := stack.ServePprof(ctx, f.pprofAddr, log); err != nil {
			return nil, err
		}
	}
	if f.metricsAddr == "" {
		return stack.NewAppWith(reg), nil
	}
	if _, err := stack.ServeMetrics(ctx, f.metricsAddr, reg, log); err != nil {
		return nil, err
	}
	return stack.NewAppWithoutMetrics(), nil
}

// adviseHugePages backs the server's heap with transparent huge pages where
// the kernel leaves that to the process (internal/hugepages; off with
// KEFU_HUGE_PAGES=off).
func adviseHugePages(ctx context.Context, log *slog.Logger) {
	on, err := hugepages.Advise(ctx)
	if err != nil {
		log.Warn("huge pages not advised", "err", err)
		return
	}
	log.Debug("huge pages", "advised", on)
}

func (f *serverFlags) logger(w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)
	return log
}

func (f *serverFlags) pack() (chat.FAQPack, error) {
	if f.faq == "" {
		return stack.DefaultFAQ()
	}
	var p chat.FAQPack
	b, err := os.ReadFile(f.faq)
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	if err != nil {
		return p, fmt.Errorf("faq pack %s: %w", f.faq, err)
	}
	return p, nil
}

// connect opens the NATS connection; it reconnects forever, so a restart of
// the NATS system loses nothing that JetStream holds.
func (f *serverFlags) connect(name string) (*nats.Conn, error) {
	opts := []nats.Option{nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond)}
	if f.creds == nil && f.natsCreds != "" {
		c, err := natsembed.ReadCredentials(f.natsCreds)
		if err != nil {
			return nil, err
		}
		f.creds = &c
	}
	if f.creds != nil {
		opts = append(opts, nats.UserInfo(f.creds.User, f.creds.Password))
		if p := natsembed.InboxPrefix(f.creds.User); p != "" { // an edge receives replies only there
			opts = append(opts, nats.CustomInboxPrefix(p))
		}
	}
	nc, err := nats.Connect(f.natsURL, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", f.natsURL, err)
	}
	return nc, nil
}

func runCentral(ctx context.Context, args []string, _ io.Reader, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("kefu central", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf serverFlags
	sf.bind(fs)
	data := fs.String("data", "./data", "data folder (SQLite when --postgres is empty)")
	pg := fs.String("postgres", os.Getenv("KEFU_POSTGRES"), "PostgreSQL DSN (default $KEFU_POSTGRES; empty: SQLite)")
	vacuumEvery := fs.Duration("pg-vacuum-interval", time.Hour, "with --postgres: vacuum the tables that hold erased texts this often (SECURITY.md); negative: never")
	vacuumAfter := fs.Duration("pg-vacuum-after-erasure", time.Minute, "with --postgres: vacuum those tables this long after an erasure (erasures meanwhile share it); negative: only on the schedule")
	vacuumFull := fs.Bool("pg-vacuum-full", false, "with --postgres: VACUUM FULL (rewrites the tables, so no page keeps an erased text; locks each table while it is copied) instead of VACUUM")
	edgeURLs := map[string]string{}
	fs.Func("edge-url", "REGION=URL of the edge serving a region, for the console's reveal requests (repeat per region; default: the console's own origin)", func(v string) error {
		region, u, ok := strings.Cut(v, "=")
		if !ok || region == "" || u == "" {
			return fmt.Errorf("want REGION=URL, got %q", v)
		}
		edgeURLs[region] = u
		return nil
	})
	embedPort := fs.Int("embed-nats", 0, "run a nats-server with JetStream (domain \""+edge.DefaultCentralDomain+"\") in this process on 127.0.0.1:PORT (state under --data) and use it; 0: connect to --nats")
	leafPort := fs.Int("leaf-port", 0, "with --embed-nats: accept edges (kefu edge --leaf) as NATS leaf nodes on --leaf-host:PORT; 0: none")
	leafHost := fs.String("leaf-host", "127.0.0.1", "address of the leaf-node listener (off loopback it needs --leaf-token)")
	leafToken := fs.String("leaf-token", os.Getenv("KEFU_LEAF_TOKEN"), "a token every region's leaf edge may present, and so claim any region (default $KEFU_LEAF_TOKEN; empty: none, each region's edges present their own token derived from the NATS secret of --data, printed by `kefu nats-credentials --data DATA --leaf --region REGION`)")
	leafTLSCert := fs.String("leaf-tls-cert", "", "with --leaf-port: PEM certificate (chain) of the leaf-node listener; with --leaf-tls-key, leaf links must use TLS (edges verify it with --leaf-tls-ca); default: none, plain NATS")
	leafTLSKey := fs.String("leaf-tls-key", "", "PEM private key of --leaf-tls-cert")
	leafTLSCA := fs.String("leaf-tls-ca", "", "with --leaf-tls-cert: PEM CAs that sign the leaf edges' client certificates; set, every leaf edge must present one (mutual TLS, on top of its token); default: none")
	allowPrivate := fs.Bool("allow-private-urls", false, "let webhooks and staff-alert URLs reach loopback, private and link-local addresses (refused by default: server-side request forgery)")
	replicas := fs.Int("stream-replicas", 0, "replica count of central's JetStream streams and buckets (3 on a 3-node NATS cluster: one node may fail); 0: keep what exists, 1 for new ones")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *replicas < 0 || *replicas > 5 {
		return fail(stderr, fmt.Errorf("--stream-replicas %d: want 0 to 5", *replicas))
	}
	if *leafPort > 0 && *embedPort <= 0 {
		return fail(stderr, fmt.Errorf("--leaf-port needs --embed-nats (with --nats, configure leaf nodes and a JetStream domain on that NATS system)"))
	}
	if *leafPort <= 0 && (*leafTLSCert != "" || *leafTLSKey != "" || *leafTLSCA != "") {
		return fail(stderr, fmt.Errorf("--leaf-tls-cert, --leaf-tls-key and --leaf-tls-ca need --leaf-port"))
	}
	log := sf.logger(stderr)
	adviseHugePages(ctx, log)
	if *embedPort > 0 {
		// The embedded NATS refuses anonymous clients (SECURITY.md):
		// central connects as its role, edges with the credentials `kefu
		// nats-credentials` derives from the same secret.
		secret, err := natsembed.LoadOrCreateSecret(filepath.Join(*data, natsembed.SecretFile))
		if err != nil {
			return fail(stderr, err)
		}
		o := natsembed.Options{Port: *embedPort, StoreDir: filepath.Join(*data, "nats"), Domain: edge.DefaultCentralDomain, Logger: log,
			Auth: &natsembed.Auth{Secret: secret}}
		if *leafPort > 0 {
			o.LeafListen, o.LeafToken = net.JoinHostPort(*leafHost, strconv.Itoa(*leafPort)), *leafToken
			o.LeafTLSCert, o.LeafTLSKey, o.LeafTLSCA = *leafTLSCert, *leafTLSKey, *leafTLSCA
		}
		ns, err := natsembed.Start(o)
		if err != nil {
			return fail(stderr, err)
		}
		defer ns.Shutdown()
		sf.natsURL = ns.URL()
		c := natsembed.CredentialsFor(secret, natsembed.CentralUser)
		sf.creds = &c
		if o.LeafListen != "" {
			log.Info("accepting leaf edges", "leaf_url", ns.LeafURL(), "shared_token", o.LeafToken != "",
				"tls", o.LeafTLSCert != "", "client_certificates", o.LeafTLSCA != "")
		}
	}
	pack, err := sf.pack()
	if err != nil {
		return fail(stderr, err)
	}
	nc, err := sf.connect("kefu-central")
	if err != nil {
		return fail(stderr, err)
	}
	defer nc.Close()
	reg := stack.NewRegistry()
	stack.WatchNATSErrors(nc, "central", reg, log)
	tr, err := sf.tracer("kefu-central", "", log)
	if err != nil {
		return fail(stderr, err)
	}
	defer closeTracer(tr)
	svc, err := central.New(ctx, central.Config{Tracer: tr, NATS: nc, DataDir: *data, PostgresDSN: *pg,
		VacuumInterval: *vacuumEvery, VacuumAfterErasure: *vacuumAfter, VacuumFull: *vacuumFull, FAQ: pack, EdgeURLs: edgeURLs, Logger: log, Registerer: reg,
		AllowPrivateURLs: *allowPrivate, StreamReplicas: *replicas})
	if err != nil {
		return fail(stderr, err)
	}
	defer svc.Close()
	// Leaf edges ask central to source their regional streams: a leaf link
	// may not change KEFU_INBOUND itself (SECURITY.md).
	if _, err := edge.ServeLeafSources(ctx, nc, log); err != nil {
		return fail(stderr, err)
	}
	app, err := sf.app(ctx, reg, log)
	if err != nil {
		return fail(stderr, err)
	}
	stack.AddReady(app, svc.Ready)
	svc.Register(app)
	return serve(ctx, app, sf.addr, reg, log)
}

func runEdge(ctx context.Context, args []string, _ io.Reader, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("kefu edge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf serverFlags
	sf.bind(fs)
	region := fs.String("region", "local", "region name (eu, cn, us…)")
	pluginCfg := fs.String("plugins", "", "plugin host config (TOML, see edge/pluginhost); empty: no plugins")
	sites := fs.String("site", "demo", "the site key this edge serves")
	vaultDir := fs.String("vault-dir", "", "keep the PII vault and its audit log in this folder (overrides vault_dir of --plugins; empty: the config's, else memory only)")
	vaultKeyFile := fs.String("vault-key-file", "", "base64 AES-256 key of the vault for regions without vault_keys; created 0600 when missing (default: VAULT_DIR/vault.key)")
	siteOrigins := fs.String("site-origin", "", "comma-separated page origins (https://shop.example) allowed to embed the site's widget; default: none but the edge's own origin; * allows every origin")
	consoleOrigins := fs.String("console-origin", "", "comma-separated origins of agent consoles served elsewhere that may call POST /v1/reveal (CORS)")
	adminToken := fs.String("admin-token", os.Getenv("KEFU_ADMIN_TOKEN"), "bearer token of the plugin admin API /admin/plugins (default $KEFU_ADMIN_TOKEN; empty: off)")
	allowUnsigned := fs.Bool("allow-unsigned-plugins", false, "accept unsigned plugin bundles from the plugin folder and the admin API (default: only bundles signed by trusted_keys, and the built-ins)")
	leafURL := fs.String("leaf", "", "run NATS in this process as a leaf node of central's leaf port (nats://HOST:PORT, or a comma-separated list of a NATS cluster's leaf ports: the link moves to another when one fails): messages are accepted into the region's own JetStream and reach central when the link is up (instead of --nats)")
	leafToken := fs.String("leaf-token", os.Getenv("KEFU_LEAF_TOKEN"), "this region's token for central's leaf port (default $KEFU_LEAF_TOKEN; `kefu nats-credentials --data CENTRAL_DATA --leaf --region REGION` prints it)")
	leafTLSCA := fs.String("leaf-tls-ca", "", "with --leaf: PEM CAs that verify central's leaf certificate (its --leaf-tls-cert, which must name the host of --leaf); set, the link uses TLS; default: none, plain NATS")
	leafTLSCert := fs.String("leaf-tls-cert", "", "with --leaf: PEM client certificate for a central that requires one (its --leaf-tls-ca); default: none")
	leafTLSKey := fs.String("leaf-tls-key", "", "PEM private key of --leaf-tls-cert")
	leafDomain := fs.String("leaf-domain", "", "JetStream domain of this edge's NATS: edge-REGION, the only domain central's NATS sources a region's leaf link from (default edge-REGION)")
	centralDomain := fs.String("central-domain", edge.DefaultCentralDomain, "JetStream domain of central's NATS")
	maxConns := fs.Int("max-conns", 0, "cap on open WebSocket connections (503 edge_full past it); 0: derived from RLIMIT_NOFILE with headroom, which also bounds a higher value")
	maxConnsPerIP := fs.Int("max-conns-per-ip", 1000, "cap on open WebSocket connections from one address (429 past it); negative: none")
	data := fs.String("data", "./data", "data folder: the last site configuration read from central (edge-sites-REGION.json); with --leaf also the region's JetStream under DATA/nats-DOMAIN, apart from central's DATA/nats")
	var chf channelFlags
	chf.bind(fs)
	allowPrivate := fs.Bool("allow-private-urls", false, "let channel API calls and a merchant's webhook channel reach loopback, private and link-local addresses (refused by default: server-side request forgery)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	natsSet := false
	fs.Visit(func(f *flag.Flag) { natsSet = natsSet || f.Name == "nats" })
	if *leafURL != "" && natsSet {
		return fail(stderr, fmt.Errorf("--leaf and --nats exclude each other: a leaf edge runs its own NATS"))
	}
	if *leafURL == "" && (*leafTLSCA != "" || *leafTLSCert != "" || *leafTLSKey != "") {
		return fail(stderr, fmt.Errorf("--leaf-tls-ca, --leaf-tls-cert and --leaf-tls-key need --leaf"))
	}
	if *pluginCfg == "" && (*vaultDir != "" || *vaultKeyFile != "") {
		return fail(stderr, fmt.Errorf("--vault-dir and --vault-key-file need --plugins (the vault belongs to the plugin host)"))
	}
	log := sf.logger(stderr)
	adviseHugePages(ctx, log)
	pack, err := sf.pack()
	if err != nil {
		return fail(stderr, err)
	}
	var (
		nc   *nats.Conn
		leaf *edge.Leaf
	)
	if *leafURL != "" {
		if *leafDomain == "" {
			*leafDomain = chat.LeafDomain(*region)
		}
		leaf = &edge.Leaf{Domain: *leafDomain, CentralDomain: *centralDomain}
		if *leafDomain == *centralDomain {
			return fail(stderr, fmt.Errorf("--leaf-domain %q is central's domain: every JetStream domain must be distinct", *leafDomain))
		}
		ns, err := natsembed.Start(natsembed.Options{NoListen: true, StoreDir: filepath.Join(*data, "nats-"+*leafDomain),
			Domain: *leafDomain, Name: "kefu-" + *leafDomain, LeafRemote: *leafURL, LeafRemoteToken: *leafToken,
			LeafRemoteRegion: chat.SubjectToken(*region), LeafDeny: []string{chat.SubjectRegionPrefix + ">"}, Logger: log,
			LeafRemoteTLSCA: *leafTLSCA, LeafRemoteTLSCert: *leafTLSCert, LeafRemoteTLSKey: *leafTLSKey})
		if err != nil {
			return fail(stderr, err)
		}
		defer ns.Shutdown()
		if !ns.LeafConnected() {
			log.Warn("leaf link to central is not up yet; accepting messages and keeping them in the region until it is",
				"leaf", *leafURL, "tls", *leafTLSCA != "" || *leafTLSCert != "")
		}
		// As the region's edge: replies come back on its reply prefix only
		// (natsembed.EdgeInbox), the only one its leaf link receives.
		nc, err = ns.ConnectAs(natsembed.EdgeUser(*region), "kefu-edge-"+*region)
		if err != nil {
			return fail(stderr, err)
		}
	} else {
		nc, err = sf.connect("kefu-edge-" + *region)
		if err != nil {
			return fail(stderr, err)
		}
	}
	defer nc.Close()
	reg := stack.NewRegistry()
	stack.WatchNATSErrors(nc, "edge", reg, log)
	check, err := intentcheck.Shipped()
	if err != nil {
		return fail(stderr, err)
	}
	tr, err := sf.tracer("kefu-edge", *region, log)
	if err != nil {
		return fail(stderr, err)
	}
	defer closeTracer(tr)
	cfg := edge.Config{
		Region: *region, NATS: nc, Logger: log, Leaf: leaf, Registerer: reg, Intent: check, Tracer: tr,
		MaxConns: *maxConns, MaxConnsPerIP: *maxConnsPerIP,
		Sites:    map[string]edge.Site{*sites: {Tenant: *sites, FAQ: pack}},
		WidgetFS: widget.FS(), DemoFS: demo.FS(),
		// Every site of central's configuration is served too; the last one
		// seen is kept here for a start while central is unreachable.
		SiteCache: filepath.Join(*data, "edge-sites-"+chat.SubjectToken(*region)+".json"),
		Models:    artifacts.WidgetModels(),
	}
	site := cfg.Sites[*sites]
	for _, o := range strings.Split(*siteOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			site.Origins = append(site.Origins, o)
		}
	}
	cfg.Sites[*sites] = site
	for _, o := range strings.Split(*consoleOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.ConsoleOrigins = append(cfg.ConsoleOrigins, o)
		}
	}
	if *pluginCfg != "" {
		pc, err := pluginhost.LoadConfig(*pluginCfg)
		if err != nil {
			return fail(stderr, err)
		}
		pc.Builtin, pc.Logger, pc.Registerer = builtin.Lookup, log, reg
		// A production edge runs only signed bundles (and the built-ins)
		// unless the operator says otherwise on the command line.
		pc.RequireSignature = !*allowUnsigned
		if !pc.RequireSignature {
			log.Warn("plugin signatures are not required (--allow-unsigned-plugins): anyone who can write the plugin folder or holds the admin token can replace a plugin")
		}
		if *vaultDir != "" {
			pc.VaultDir = *vaultDir
		}
		if *vaultKeyFile != "" {
			pc.VaultKeyFile = *vaultKeyFile
		}
		if err := pc.Validate(); err != nil {
			return fail(stderr, err)
		}
		host, err := pluginhost.NewHost(ctx, pc)
		if err != nil {
			return fail(stderr, err)
		}
		defer host.Close()
		cfg.Plugins = host
	}
	cfg.Channels = chf.options(*data)
	cfg.Channels.AllowPrivateURLs = *allowPrivate
	cfg.Channels.Cache = filepath.Join(*data, "edge-channels-"+chat.SubjectToken(*region)+".json")
	node, err := edge.New(ctx, cfg)
	if err != nil {
		return fail(stderr, err)
	}
	defer node.Close()
	if err := chf.serveSMTP(ctx, node, log); err != nil {
		return fail(stderr, err)
	}
	app, err := sf.app(ctx, reg, log)
	if err != nil {
		return fail(stderr, err)
	}
	if host, ok := cfg.Plugins.(*pluginhost.Host); ok {
		app.All("/admin/plugins*", adaptor.HTTPHandler(host.AdminHandler(*adminToken)))
		stack.LargeBody(app, "PUT", "/admin/plugins/", pluginhost.MaxBundleBytes)
	}
	stack.AddReady(app, node.Ready)
	node.Register(app)
	return serve(ctx, app, sf.addr, reg, log)
}

func serve(ctx context.Context, app interface {
	Listener(net.Listener) error
	ShutdownWithTimeout(time.Duration) error
}, addr string, reg metric.Registerer, log *slog.Logger) int {
	ln, err := stack.Listen(addr, reg, log)
	if err != nil {
		log.Error("cannot listen", "err", err)
		return 1
	}
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	log.Info("listening", "addr", addr)
	select {
	case <-ctx.Done():
		_ = app.ShutdownWithTimeout(10 * time.Second)
		return 0
	case err := <-errc:
		log.Error("server stopped", "err", err)
		return 1
	}
}

func fail(w io.Writer, err error) int {
	fmt.Fprintln(w, "kefu:", err)
	return 1
}
