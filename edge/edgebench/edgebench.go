// Package edgebench is `kefu bench edge`: it starts, in one process, a
// nats-server with JetStream, a stand-in for central (minicentral) and an
// edge node on a loopback Fiber app, opens N concurrent WebSocket clients
// that each send messages one after the other (hello, message, wait for
// accepted and for the reply), and measures messages per second and the
// p50/p99 latency of accepted and of the reply. In the same run it measures
// a bare Fiber WebSocket echo handler with the same clients, as the
// baseline, and prints the ratio: the cost of the edge's real work
// (decoding, plugins, JetStream publish and PubAck, the round trip through
// central's stand-in) against the floor of the HTTP/WebSocket stack on this
// machine. Numbers on a shared machine are noisy: compare within one run.
package edgebench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/kefu-io/kefu/internal/procstat"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
	fiberws "github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/edge/internal/minicentral"
)

// Options configure a run.
type Options struct {
	// Clients is the number of concurrent WebSocket clients. Default: 50.
	Clients int
	// Messages is how many messages each client sends (after Warmup).
	// Default: 100.
	Messages int
	// Warmup messages per client are sent first and not measured. Default: 5.
	Warmup int
	// Plugins is the pipeline the edge runs (nil: none). Pass the region's
	// pluginhost.Host to measure a real pipeline.
	Plugins edge.Plugins
	// PluginsName labels the pipeline in the report. Default: "none".
	PluginsName string
	// Text is the message text. Default: a short order question with an
	// email address and a phone number (something for PII plugins to do).
	Text string
	// SkipEcho skips the baseline.
	SkipEcho bool
	// Logger receives the edge's logs. Default: discarded.
	Logger *slog.Logger
}

// Stats are the measurements of one side.
type Stats struct {
	Messages  int     `json:"messages"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
	// P50 and P99 are the latencies from send to the reply (edge) or to the
	// echo (baseline).
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	// AcceptedP50 and AcceptedP99 are send → accepted (edge only): the
	// JetStream-stored guarantee.
	AcceptedP50 time.Duration `json:"accepted_p50_ns,omitempty"`
	AcceptedP99 time.Duration `json:"accepted_p99_ns,omitempty"`
	// Retries counts messages re-sent (same id) after unavailable or
	// rate_limited, as a real client does; latencies include them.
	Retries int `json:"retries"`
	// Errors counts clients that stopped on an error; FirstError is one.
	Errors     int    `json:"errors"`
	FirstError string `json:"first_error,omitempty"`
}

// Result is the outcome of Run.
type Result struct {
	Clients    int    `json:"clients"`
	Messages   int    `json:"messages_per_client"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Plugins    string `json:"plugins"`
	Edge       Stats  `json:"edge"`
	Echo       Stats  `json:"echo"`
	// ThroughputRatio is Edge.PerSecond / Echo.PerSecond.
	ThroughputRatio float64 `json:"throughput_ratio"`
	// LatencyRatio is Edge.P50 / Echo.P50.
	LatencyRatio float64 `json:"latency_ratio"`
	// EdgeRSS is the process's resident set after the edge run (edge,
	// plugin instances, embedded NATS and the central stand-in), in bytes.
	EdgeRSS int64 `json:"edge_rss_bytes"`
}

func (o Options) withDefaults() Options {
	if o.Clients <= 0 {
		o.Clients = 50
	}
	if o.Messages <= 0 {
		o.Messages = 100
	}
	if o.Warmup < 0 {
		o.Warmup = 0
	} else if o.Warmup == 0 {
		o.Warmup = 5
	}
	if o.PluginsName == "" {
		o.PluginsName = "none"
		if o.Plugins != nil {
			o.PluginsName = "custom"
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Text == "" {
		o.Text = "Where is my order 12345? Mail me at jane.doe@example.com or call +49 170 1234567."
	}
	return o
}

// Run measures the edge and the echo baseline.
func Run(ctx context.Context, o Options) (Result, error) {
	o = o.withDefaults()
	res := Result{Clients: o.Clients, Messages: o.Messages, GOMAXPROCS: runtime.GOMAXPROCS(0), Plugins: o.PluginsName}
	var err error
	if res.Edge, err = runEdge(ctx, o); err != nil {
		return res, err
	}
	res.EdgeRSS = procstat.RSS()
	if !o.SkipEcho {
		if res.Echo, err = runEcho(ctx, o); err != nil {
			return res, err
		}
		if res.Echo.PerSecond > 0 {
			res.ThroughputRatio = res.Edge.PerSecond / res.Echo.PerSecond
		}
		if res.Echo.P50 > 0 {
			res.LatencyRatio = float64(res.Edge.P50) / float64(res.Echo.P50)
		}
	}
	return res, nil
}

func runEdge(ctx context.Context, o Options) (Stats, error) {
	dir, err := os.MkdirTemp("", "kefu-bench-edge-")
	if err != nil {
		return Stats{}, fmt.Errorf("edgebench: temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	srv, err := minicentral.StartNATS(dir)
	if err != nil {
		return Stats{}, err
	}
	defer srv.Shutdown()
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		return Stats{}, fmt.Errorf("edgebench: connect nats: %w", err)
	}
	defer nc.Close()
	resp, err := minicentral.Start(ctx, nc, minicentral.Options{})
	if err != nil {
		return Stats{}, err
	}
	defer resp.Stop()
	node, err := edge.New(ctx, edge.Config{
		Region: "bench", NATS: nc, Plugins: o.Plugins, Sites: map[string]edge.Site{"bench": {}},
		MessageRate: 1e9, MessageBurst: 1 << 30, FrameRate: 1e9, FrameBurst: 1 << 30,
		Logger: o.Logger,
	})
	if err != nil {
		return Stats{}, err
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	node.Register(app)
	addr, stop, err := serve(app)
	if err != nil {
		_ = node.Close()
		return Stats{}, err
	}
	defer stop()
	defer node.Close()
	return drive(ctx, o, "ws://"+addr+"/ws?site=bench", edgeClient)
}

func runEcho(ctx context.Context, o Options) (Stats, error) {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/echo", fiberws.New(func(c *fiberws.Conn) {
		for {
			mt, b, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(mt, b); err != nil {
				return
			}
		}
	}))
	addr, stop, err := serve(app)
	if err != nil {
		return Stats{}, err
	}
	defer stop()
	return drive(ctx, o, "ws://"+addr+"/echo", echoClient)
}

func serve(app *fiber.App) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("edgebench: listen: %w", err)
	}
	go func() { _ = app.Listener(ln) }()
	return ln.Addr().String(), func() { _ = app.ShutdownWithTimeout(5 * time.Second) }, nil
}

// sample is one measured message.
type sample struct {
	accepted, reply time.Duration
	retries         int
}

// maxRetries bounds a client's retries of one message refused with
// unavailable or rate_limited.
const maxRetries = 20

// clientFunc runs one client: it sends o.Warmup+o.Messages messages and
// returns the measured samples (warmup excluded).
type clientFunc func(ctx context.Context, conn *websocket.Conn, o Options, start *sync.WaitGroup) ([]sample, error)

func drive(ctx context.Context, o Options, url string, run clientFunc) (Stats, error) {
	conns := make([]*websocket.Conn, o.Clients)
	dialer := &websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	for i := range conns {
		c, _, err := dialer.DialContext(ctx, url, nil)
		if err != nil {
			for _, c := range conns[:i] {
				_ = c.Close()
			}
			return Stats{}, fmt.Errorf("edgebench: dial %s (client %d): %w", url, i, err)
		}
		conns[i] = c
	}
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	var (
		mu      sync.Mutex
		all     []sample
		errs    int
		firstEr error
		wg      sync.WaitGroup
		ready   sync.WaitGroup // every client finished its warmup
		began   time.Time
		gate    = make(chan struct{})
	)
	ready.Add(o.Clients)
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := run(ctx, c, o, &ready)
			mu.Lock()
			defer mu.Unlock()
			all = append(all, s...)
			if err != nil {
				errs++
				if firstEr == nil {
					firstEr = err
				}
			}
		}()
	}
	go func() { ready.Wait(); began = time.Now(); close(gate) }()
	wg.Wait()
	<-gate
	elapsed := time.Since(began)
	if firstEr != nil && len(all) == 0 {
		return Stats{}, fmt.Errorf("edgebench: every client failed: %w", firstEr)
	}
	st := Stats{Messages: len(all), Seconds: elapsed.Seconds(), Errors: errs}
	if firstEr != nil {
		st.FirstError = firstEr.Error()
	}
	if elapsed > 0 {
		st.PerSecond = float64(len(all)) / elapsed.Seconds()
	}
	reply := make([]time.Duration, len(all))
	acc := make([]time.Duration, 0, len(all))
	for i, s := range all {
		st.Retries += s.retries
		reply[i] = s.reply
		if s.accepted > 0 {
			acc = append(acc, s.accepted)
		}
	}
	st.P50, st.P99 = percentile(reply, 0.50), percentile(reply, 0.99)
	st.AcceptedP50, st.AcceptedP99 = percentile(acc, 0.50), percentile(acc, 0.99)
	return st, nil
}

// percentile returns the q-quantile (nearest rank) of d; it sorts d.
func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	i := int(q*float64(len(d))+0.5) - 1
	return d[max(0, min(i, len(d)-1))]
}

func edgeClient(ctx context.Context, c *websocket.Conn, o Options, ready *sync.WaitGroup) (out []sample, err error) {
	readyDone := false
	defer func() {
		if !readyDone {
			ready.Done()
		}
	}()
	if err := c.WriteJSON(chat.Frame{V: 1, Type: chat.FrameHello}); err != nil {
		return nil, fmt.Errorf("edgebench: hello: %w", err)
	}
	if _, err := readType(c, chat.FrameWelcome); err != nil {
		return nil, err
	}
	for i := range o.Warmup + o.Messages {
		if i == o.Warmup {
			ready.Done()
			readyDone = true
			ready.Wait()
		}
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		id := chat.NewID()
		msg := chat.Frame{V: 1, Type: chat.FrameMessage, ID: id, Text: o.Text}
		t0 := time.Now()
		if err := c.WriteJSON(msg); err != nil {
			return out, fmt.Errorf("edgebench: send: %w", err)
		}
		s := sample{}
		for s.reply == 0 {
			f, err := readFrame(c)
			if err != nil {
				return out, err
			}
			switch {
			case f.Type == chat.FrameAccepted && f.ID == id:
				s.accepted = time.Since(t0)
			case f.Type == chat.FrameMessage && f.ReplyTo == id:
				s.reply = time.Since(t0)
			case f.Type == chat.FrameError && (f.Code == chat.CodeUnavailable || f.Code == chat.CodeRateLimited) && s.retries < maxRetries:
				// What a real client does (docs/PROTOCOL.md §6): back off, same id.
				s.retries++
				time.Sleep(time.Duration(s.retries) * 10 * time.Millisecond)
				if err := c.WriteJSON(msg); err != nil {
					return out, fmt.Errorf("edgebench: resend: %w", err)
				}
			case f.Type == chat.FrameError:
				return out, fmt.Errorf("edgebench: edge refused a message (after %d retries): %s: %s", s.retries, f.Code, f.Reason)
			}
		}
		if i >= o.Warmup {
			out = append(out, s)
		}
		_ = c.WriteJSON(chat.Frame{Type: chat.FrameAck, ID: id})
	}
	return out, nil
}

func echoClient(ctx context.Context, c *websocket.Conn, o Options, ready *sync.WaitGroup) (out []sample, err error) {
	readyDone := false
	defer func() {
		if !readyDone {
			ready.Done()
		}
	}()
	for i := range o.Warmup + o.Messages {
		if i == o.Warmup {
			ready.Done()
			readyDone = true
			ready.Wait()
		}
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		// The same frame the edge client sends, so both sides move the same bytes.
		b, _ := json.Marshal(chat.Frame{V: 1, Type: chat.FrameMessage, ID: chat.NewID(), Text: o.Text})
		t0 := time.Now()
		if err := c.WriteMessage(websocket.TextMessage, b); err != nil {
			return out, fmt.Errorf("edgebench: echo send: %w", err)
		}
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, _, err := c.ReadMessage(); err != nil {
			return out, fmt.Errorf("edgebench: echo read: %w", err)
		}
		if i >= o.Warmup {
			out = append(out, sample{reply: time.Since(t0)})
		}
	}
	return out, nil
}

func readFrame(c *websocket.Conn) (chat.Frame, error) {
	var f chat.Frame
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, b, err := c.ReadMessage()
	if err != nil {
		return f, fmt.Errorf("edgebench: read: %w", err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("edgebench: edge sent non-JSON: %w", err)
	}
	return f, nil
}

func readType(c *websocket.Conn, typ chat.FrameType) (chat.Frame, error) {
	f, err := readFrame(c)
	if err == nil && f.Type != typ {
		err = fmt.Errorf("edgebench: got %s (%s %s), want %s", f.Type, f.Code, f.Reason, typ)
	}
	return f, err
}

// PluginLoader turns the --plugins argument of Main into a pipeline and a
// function that releases it. cmd/kefu sets it (to a loader over the built-in
// plugins and pluginhost) before calling Main; while it is nil --plugins is
// refused. Go callers pass Options.Plugins to Run instead.
var PluginLoader func(ctx context.Context, spec string) (edge.Plugins, func() error, error)

// Main is `kefu bench edge [flags]`.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kefu bench edge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	fs.IntVar(&o.Clients, "clients", 50, "concurrent WebSocket clients")
	fs.IntVar(&o.Messages, "messages", 100, "measured messages per client")
	fs.IntVar(&o.Warmup, "warmup", 5, "unmeasured messages per client first")
	plugins := fs.String("plugins", "", "plugin pipeline to run at the edge (e.g. eu), resolved by the loader cmd/kefu installs")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	fs.BoolVar(&o.SkipEcho, "no-echo", false, "skip the Fiber WebSocket echo baseline")
	verbose := fs.Bool("v", false, "log the edge's warnings and errors to stderr")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kefu bench edge [--clients N] [--messages M] [--plugins NAME] [--json]")
		fmt.Fprintln(stderr, "Measures an in-process edge (NATS JetStream + a central stand-in) against a bare Fiber WebSocket echo.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "kefu bench edge: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if *verbose {
		o.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if *plugins != "" {
		if PluginLoader == nil {
			fmt.Fprintf(stderr, "kefu bench edge: --plugins %q: this build has no plugin loader\n", *plugins)
			return 2
		}
		p, release, err := PluginLoader(ctx, *plugins)
		if err != nil {
			fmt.Fprintf(stderr, "kefu bench edge: --plugins %q: %v\n", *plugins, err)
			return 1
		}
		if release != nil {
			defer func() { _ = release() }()
		}
		o.Plugins, o.PluginsName = p, *plugins
	}
	res, err := Run(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "kefu bench edge: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return 1
		}
		return 0
	}
	Report(stdout, res)
	return 0
}

// Report prints res as a table.
func Report(w io.Writer, r Result) {
	fmt.Fprintf(w, "kefu bench edge: %d clients × %d messages, GOMAXPROCS=%d, plugins: %s\n\n",
		r.Clients, r.Messages, r.GOMAXPROCS, r.Plugins)
	fmt.Fprintf(w, "%-26s %10s %10s %10s %7s %7s\n", "", "msgs/s", "p50", "p99", "retries", "errors")
	fmt.Fprintf(w, "%-26s %10.0f %10s %10s %7d %7d\n", "edge send→accepted", r.Edge.PerSecond, round(r.Edge.AcceptedP50), round(r.Edge.AcceptedP99), r.Edge.Retries, r.Edge.Errors)
	fmt.Fprintf(w, "%-26s %10.0f %10s %10s %7d %7d\n", "edge send→reply", r.Edge.PerSecond, round(r.Edge.P50), round(r.Edge.P99), r.Edge.Retries, r.Edge.Errors)
	if r.Edge.FirstError != "" {
		fmt.Fprintf(w, "%-26s %s\n", "  first edge error:", r.Edge.FirstError)
	}
	if r.Echo.Messages > 0 {
		fmt.Fprintf(w, "%-26s %10.0f %10s %10s %7s %7d\n", "fiber ws echo (baseline)", r.Echo.PerSecond, round(r.Echo.P50), round(r.Echo.P99), "-", r.Echo.Errors)
		fmt.Fprintf(w, "\nedge/echo: throughput %.3f×, p50 latency %.1f×\n", r.ThroughputRatio, r.LatencyRatio)
	}
	if r.EdgeRSS > 0 {
		fmt.Fprintf(w, "process RSS after the edge run: %.1f MiB (edge, plugin pools, NATS, central stand-in)\n", float64(r.EdgeRSS)/(1<<20))
	}
	fmt.Fprintln(w, strings.Repeat("-", 66))
	fmt.Fprintln(w, "edge = decode + plugins + JetStream publish/PubAck + central stand-in round trip; compare within one run.")
}

func round(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	default:
		return d.Round(time.Microsecond).String()
	}
}
