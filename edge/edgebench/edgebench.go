// Package edgebench is `kefu bench edge`: it starts, in one process, a
// nats-server with JetStream, a stand-in for central (minicentral) and a
// server on a loopback Fiber app, opens N concurrent WebSocket clients that
// each send messages one after the other (send, wait for the accepted
// frame, which the edge sends once JetStream stored the message; central's
// replies arrive meanwhile), and measures messages per second, the p50/p99
// of send → accepted and of send → reply. It measures, in one run and with
// the same clients, NATS server and central stand-in:
//
//   - the edge with a plugin pipeline (--plugins eu), when one is given;
//   - the same edge without plugins;
//   - the publish baseline: a minimal Fiber WebSocket handler that decodes
//     each frame, publishes it as an envelope to the same JetStream stream
//     and waits for its PubAck before answering accepted;
//   - optionally (--echo) a bare Fiber WebSocket echo.
//
// and prints two ratios of throughput: pipeline/edge (what the plugins
// cost; goal ≥ 0.8) and edge/publish (what the edge adds to the durable
// publish it cannot avoid; goal ≥ 0.7). Numbers on a shared machine are
// noisy: compare within one run.
package edgebench

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
	fiberws "github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/edge/internal/minicentral"
	"github.com/kefu-io/kefu/internal/proccpu"
	"github.com/kefu-io/kefu/internal/procstat"
	"github.com/kefu-io/kefu/internal/quantile"
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
	// Plugins is the pipeline the edge runs in the pipeline measurement (nil:
	// no such measurement). Pass the region's pluginhost.Host to measure a
	// real pipeline.
	Plugins edge.Plugins
	// PluginsName labels the pipeline in the report. Default: "none".
	PluginsName string
	// Text is the message text. Default: a short order question with an
	// email address and a phone number (something for PII plugins to do).
	Text string
	// Echo also measures a bare Fiber WebSocket echo handler.
	Echo bool
	// Rounds repeats the measurements, alternating the servers, and
	// reports the median of each (the machine's load drifts). Default: 1.
	Rounds int
	// Logger receives the edge's logs. Default: discarded.
	Logger *slog.Logger
	// CPUProfile, when set, receives the process's CPU profile (pprof) of
	// the first round's measurement with Plugins (of the edge without
	// plugins when there are none): where that run's time goes.
	CPUProfile io.Writer
}

// Stats are the measurements of one side.
type Stats struct {
	Messages  int     `json:"messages"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
	// AcceptedP50 and AcceptedP99 are send → accepted: the message is
	// stored in JetStream (the echo: send → echo).
	AcceptedP50 time.Duration `json:"accepted_p50_ns"`
	AcceptedP99 time.Duration `json:"accepted_p99_ns"`
	// P50 and P99 are send → central's reply (edge runs only).
	P50 time.Duration `json:"p50_ns,omitempty"`
	P99 time.Duration `json:"p99_ns,omitempty"`
	// Replies counts the replies received (edge runs only); each measured
	// message gets exactly one.
	Replies int `json:"replies,omitempty"`
	// Retries counts messages re-sent (same id) after unavailable or
	// rate_limited, as a real client does; latencies include them.
	Retries int `json:"retries"`
	// CPUPerMessage is the whole process's CPU time (user and system:
	// clients, server, NATS and the central stand-in, which share it) from
	// the start of the measured messages until every client is done, per
	// measured message; Cores is that CPU time over the same wall time
	// (how many cores were busy: at GOMAXPROCS the run is CPU-bound, below
	// it something waits). Zero where the CPU time cannot be read.
	CPUPerMessage time.Duration `json:"cpu_per_message_ns,omitempty"`
	Cores         float64       `json:"cores,omitempty"`
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
	// Pipeline is the edge with Options.Plugins (absent without them).
	Pipeline *Stats `json:"pipeline,omitempty"`
	// Edge is the same edge without plugins.
	Edge Stats `json:"edge"`
	// Publish is the minimal handler: frame → envelope → JetStream PubAck.
	Publish Stats `json:"publish"`
	// Echo is the bare Fiber WebSocket echo (Options.Echo).
	Echo *Stats `json:"echo,omitempty"`
	// Rounds is how many times each was measured; each Stats above is its
	// round with the median throughput.
	Rounds int `json:"rounds"`
	// PipelineRatio is Pipeline.PerSecond / Edge.PerSecond (goal ≥ 0.8):
	// the median of the rounds' ratios (PipelineRatios).
	PipelineRatio  float64   `json:"pipeline_ratio,omitempty"`
	PipelineRatios []float64 `json:"pipeline_ratios,omitempty"`
	// EdgeRatio is Edge.PerSecond / Publish.PerSecond (goal ≥ 0.7): the
	// median of the rounds' ratios (EdgeRatios).
	EdgeRatio  float64   `json:"edge_ratio"`
	EdgeRatios []float64 `json:"edge_ratios"`
	// PipelineCPURatio and EdgeCPURatio are the same ratios from CPU time
	// per message instead of wall time (edge CPU per message / pipeline's;
	// publish's / edge's), medians of the rounds': the throughput ratios a
	// CPU-bound run would show, less moved by what else the machine runs
	// (see Stats.Cores). Zero where CPU time is not measured.
	PipelineCPURatio  float64   `json:"pipeline_cpu_ratio,omitempty"`
	PipelineCPURatios []float64 `json:"pipeline_cpu_ratios,omitempty"`
	EdgeCPURatio      float64   `json:"edge_cpu_ratio,omitempty"`
	EdgeCPURatios     []float64 `json:"edge_cpu_ratios,omitempty"`
	// EdgeRSS is the process's resident set after the edge runs (edge,
	// plugin instances, embedded NATS and the central stand-in), in bytes.
	EdgeRSS int64 `json:"edge_rss_bytes"`
}

// Goals of issue 14 for the two ratios.
const (
	PipelineGoal = 0.8
	EdgeGoal     = 0.7
)

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
	if o.Rounds <= 0 {
		o.Rounds = 1
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

// Run measures the publish baseline, the edge without plugins and, with
// Options.Plugins, the edge with them (and the echo with Options.Echo), in
// that order, Options.Rounds times, each against a fresh NATS server and
// central stand-in.
func Run(ctx context.Context, o Options) (Result, error) {
	o = o.withDefaults()
	res := Result{Clients: o.Clients, Messages: o.Messages, GOMAXPROCS: runtime.GOMAXPROCS(0), Plugins: o.PluginsName, Rounds: o.Rounds}
	var pipe, bare, pub, echo []Stats
	for range o.Rounds {
		p, err := runPublish(ctx, o)
		if err != nil {
			return res, err
		}
		e, err := profiled(o, o.Plugins == nil && len(bare) == 0, func() (Stats, error) { return runEdge(ctx, o, nil) })
		if err != nil {
			return res, err
		}
		pub, bare = append(pub, p), append(bare, e)
		if p.PerSecond > 0 {
			res.EdgeRatios = append(res.EdgeRatios, e.PerSecond/p.PerSecond)
		}
		if e.CPUPerMessage > 0 && p.CPUPerMessage > 0 {
			res.EdgeCPURatios = append(res.EdgeCPURatios, float64(p.CPUPerMessage)/float64(e.CPUPerMessage))
		}
		if o.Plugins != nil {
			st, err := profiled(o, len(pipe) == 0, func() (Stats, error) { return runEdge(ctx, o, o.Plugins) })
			if err != nil {
				return res, err
			}
			pipe = append(pipe, st)
			if e.PerSecond > 0 {
				res.PipelineRatios = append(res.PipelineRatios, st.PerSecond/e.PerSecond)
			}
			if e.CPUPerMessage > 0 && st.CPUPerMessage > 0 {
				res.PipelineCPURatios = append(res.PipelineCPURatios, float64(e.CPUPerMessage)/float64(st.CPUPerMessage))
			}
		}
		res.EdgeRSS = max(res.EdgeRSS, procstat.RSS())
		if o.Echo {
			st, err := runEcho(ctx, o)
			if err != nil {
				return res, err
			}
			echo = append(echo, st)
		}
	}
	res.Publish, res.Edge = medianStats(pub), medianStats(bare)
	if len(pipe) > 0 {
		st := medianStats(pipe)
		res.Pipeline = &st
	}
	if len(echo) > 0 {
		st := medianStats(echo)
		res.Echo = &st
	}
	res.EdgeRatio, res.PipelineRatio = median(res.EdgeRatios), median(res.PipelineRatios)
	res.EdgeCPURatio, res.PipelineCPURatio = median(res.EdgeCPURatios), median(res.PipelineCPURatios)
	return res, nil
}

// profiled runs f, with the CPU profile written to o.CPUProfile when on
// and one is asked for.
func profiled(o Options, on bool, f func() (Stats, error)) (Stats, error) {
	if !on || o.CPUProfile == nil {
		return f()
	}
	if err := pprof.StartCPUProfile(o.CPUProfile); err != nil {
		return Stats{}, fmt.Errorf("edgebench: cpu profile: %w", err)
	}
	defer pprof.StopCPUProfile()
	return f()
}

// medianStats returns the measurement with the median throughput.
func medianStats(all []Stats) Stats {
	s := slices.Clone(all)
	slices.SortFunc(s, func(a, b Stats) int { return cmp.Compare(a.PerSecond, b.PerSecond) })
	return s[(len(s)-1)/2]
}

// median of v (the lower middle for an even count); 0 for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// backend is what every measured server talks to: a nats-server with
// JetStream and the central stand-in consuming the inbound stream.
type backend struct {
	nc   *nats.Conn
	stop func()
}

func startBackend(ctx context.Context) (*backend, error) {
	dir, err := os.MkdirTemp("", "kefu-bench-edge-")
	if err != nil {
		return nil, fmt.Errorf("edgebench: temp dir: %w", err)
	}
	srv, err := minicentral.StartNATS(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		srv.Shutdown()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("edgebench: connect nats: %w", err)
	}
	resp, err := minicentral.Start(ctx, nc, minicentral.Options{})
	if err != nil {
		nc.Close()
		srv.Shutdown()
		os.RemoveAll(dir)
		return nil, err
	}
	return &backend{nc: nc, stop: func() {
		resp.Stop()
		nc.Close()
		srv.Shutdown()
		srv.WaitForShutdown()
		os.RemoveAll(dir)
	}}, nil
}

func runEdge(ctx context.Context, o Options, plugins edge.Plugins) (Stats, error) {
	be, err := startBackend(ctx)
	if err != nil {
		return Stats{}, err
	}
	defer be.stop()
	node, err := edge.New(ctx, edge.Config{
		Region: "bench", NATS: be.nc, Plugins: plugins, Sites: map[string]edge.Site{"bench": {}},
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

// runPublish measures the publish baseline: per frame, what the edge
// cannot avoid — decode it, make the envelope, publish it to the inbound
// stream with its id as Nats-Msg-Id, wait for the PubAck, answer accepted.
// Central's stand-in consumes and replies as for the edge; nobody
// delivers the replies.
func runPublish(ctx context.Context, o Options) (Stats, error) {
	be, err := startBackend(ctx)
	if err != nil {
		return Stats{}, err
	}
	defer be.stop()
	js, err := jetstream.New(be.nc)
	if err != nil {
		return Stats{}, fmt.Errorf("edgebench: jetstream: %w", err)
	}
	if _, err := js.CreateStream(ctx, edge.StreamConfig()); err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return Stats{}, fmt.Errorf("edgebench: create stream: %w", err)
	}
	subject := chat.InboundSubject("bench")
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/publish", fiberws.New(func(c *fiberws.Conn) {
		visitor, conv := chat.NewID(), chat.NewID()
		for {
			_, b, err := c.ReadMessage()
			if err != nil {
				return
			}
			var f chat.Frame
			if json.Unmarshal(b, &f) != nil || f.Type != chat.FrameMessage {
				continue
			}
			env := chat.Envelope{V: chat.ProtocolVersion, Tenant: "bench", Region: "bench", Channel: chat.ChannelWeb,
				Visitor: visitor, Direction: chat.Inbound,
				Message: chat.Message{ID: f.ID, ConversationID: conv, Role: chat.RoleShopper, Text: f.Text, At: time.Now().UTC()}}
			data, _ := json.Marshal(env)
			msg := nats.NewMsg(subject)
			msg.Data = data
			answer := chat.Frame{V: 1, Type: chat.FrameAccepted, ID: f.ID}
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if _, err := js.PublishMsg(pctx, msg, jetstream.WithMsgID(f.ID)); err != nil {
				answer = chat.Frame{V: 1, Type: chat.FrameError, ID: f.ID, Code: chat.CodeUnavailable}
			}
			cancel()
			out, _ := json.Marshal(answer)
			if c.WriteMessage(websocket.TextMessage, out) != nil {
				return
			}
		}
	}))
	addr, stop, err := serve(app)
	if err != nil {
		return Stats{}, err
	}
	defer stop()
	return drive(ctx, o, "ws://"+addr+"/publish", publishClient)
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
	acceptedAt      time.Time // when accepted arrived: the end of the run is the last
	retries         int
	replies         int // replies received for it (edge: exactly one)
}

// maxRetries bounds a client's retries of one message refused with
// unavailable or rate_limited.
const maxRetries = 20

// clientFunc runs one client: it sends o.Warmup+o.Messages messages and
// returns the measured samples (warmup excluded).
type clientFunc func(ctx context.Context, conn *websocket.Conn, o Options, line *startLine) ([]sample, error)

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
		line    = &startLine{start: make(chan struct{})}
		began   time.Time
		cpu0    time.Duration
	)
	line.ready.Add(o.Clients)
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := run(ctx, c, o, line)
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
	go func() { line.ready.Wait(); cpu0, began = proccpu.Used(), time.Now(); close(line.start) }()
	wg.Wait()
	cpu1, done := proccpu.Used(), time.Now()
	<-line.start
	if firstEr != nil && len(all) == 0 {
		return Stats{}, fmt.Errorf("edgebench: every client failed: %w", firstEr)
	}
	st := Stats{Messages: len(all), Errors: errs}
	if firstEr != nil {
		st.FirstError = firstEr.Error()
	}
	end := began
	acc := make([]time.Duration, 0, len(all))
	reply := make([]time.Duration, 0, len(all))
	for _, s := range all {
		st.Retries += s.retries
		st.Replies += s.replies
		acc = append(acc, s.accepted)
		if s.reply > 0 {
			reply = append(reply, s.reply)
		}
		if s.acceptedAt.After(end) {
			end = s.acceptedAt
		}
	}
	if elapsed := end.Sub(began); elapsed > 0 {
		st.Seconds = elapsed.Seconds()
		st.PerSecond = float64(len(all)) / elapsed.Seconds()
	}
	if cpu := cpu1 - cpu0; cpu0 > 0 && cpu > 0 && len(all) > 0 {
		st.CPUPerMessage = cpu / time.Duration(len(all))
		st.Cores = cpu.Seconds() / done.Sub(began).Seconds()
	}
	st.AcceptedP50, st.AcceptedP99 = quantile.Of(acc, 0.50), quantile.Of(acc, 0.99)
	st.P50, st.P99 = quantile.Of(reply, 0.50), quantile.Of(reply, 0.99)
	return st, nil
}

// startLine starts the measured part of every client together: start is
// closed once each client finished its warmup (ready) and the clock was
// read, so no measured message can precede the start time.
type startLine struct {
	ready sync.WaitGroup
	start chan struct{}
}

// warmupGate marks a client's warmup done once and waits for the start.
type warmupGate struct {
	line *startLine
	done bool
}

func (g *warmupGate) pass() {
	if !g.done {
		g.done = true
		g.line.ready.Done()
		<-g.line.start
	}
}

// release lets the others go when this client stops before its warmup ended.
func (g *warmupGate) release() {
	if !g.done {
		g.done = true
		g.line.ready.Done()
	}
}

// sendUntilAccepted sends msg and reads frames until the server accepts
// it, re-sending the same id after unavailable or rate_limited (what a real
// client does, docs/PROTOCOL.md §6); onOther gets every other frame.
func sendUntilAccepted(c *websocket.Conn, msg chat.Frame, s *sample, onOther func(chat.Frame)) error {
	t0 := time.Now()
	if err := c.WriteJSON(msg); err != nil {
		return fmt.Errorf("edgebench: send: %w", err)
	}
	for {
		f, err := readFrame(c)
		if err != nil {
			return err
		}
		switch {
		case f.Type == chat.FrameAccepted && f.ID == msg.ID:
			s.acceptedAt = time.Now()
			s.accepted = s.acceptedAt.Sub(t0)
			return nil
		case f.Type == chat.FrameError && f.ID == msg.ID && (f.Code == chat.CodeUnavailable || f.Code == chat.CodeRateLimited) && s.retries < maxRetries:
			s.retries++
			time.Sleep(time.Duration(s.retries) * 10 * time.Millisecond)
			if err := c.WriteJSON(msg); err != nil {
				return fmt.Errorf("edgebench: resend: %w", err)
			}
		case f.Type == chat.FrameError && (f.ID == msg.ID || f.ID == ""):
			return fmt.Errorf("edgebench: server refused a message (after %d retries): %s: %s", s.retries, f.Code, f.Reason)
		default:
			onOther(f)
		}
	}
}

// edgeClient says hello, then sends each message when the previous one is
// accepted; central's replies arrive meanwhile and are acked. At the end
// it waits for the reply of every message it sent.
func edgeClient(ctx context.Context, c *websocket.Conn, o Options, line *startLine) (out []sample, err error) {
	gate := warmupGate{line: line}
	defer gate.release()
	if err := c.WriteJSON(chat.Frame{V: 1, Type: chat.FrameHello}); err != nil {
		return nil, fmt.Errorf("edgebench: hello: %w", err)
	}
	if _, err := readType(c, chat.FrameWelcome); err != nil {
		return nil, err
	}
	type sent struct {
		t0  time.Time
		idx int // in out; -1 for warmup
	}
	pending := map[string]sent{}
	replies := 0
	var ackErr error
	onOther := func(f chat.Frame) {
		if f.Type != chat.FrameMessage || f.ReplyTo == "" {
			return
		}
		p, ok := pending[f.ReplyTo]
		if !ok {
			return
		}
		replies++
		if p.idx >= 0 {
			out[p.idx].replies++
			if out[p.idx].reply == 0 {
				out[p.idx].reply = time.Since(p.t0)
			}
		}
		if err := c.WriteJSON(chat.Frame{Type: chat.FrameAck, ID: f.ID}); err != nil && ackErr == nil {
			ackErr = err
		}
	}
	for i := range o.Warmup + o.Messages {
		if i == o.Warmup {
			gate.pass()
		}
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		msg := chat.Frame{V: 1, Type: chat.FrameMessage, ID: chat.NewID(), Text: o.Text}
		idx := -1
		if i >= o.Warmup {
			idx = len(out)
			out = append(out, sample{})
		}
		pending[msg.ID] = sent{t0: time.Now(), idx: idx}
		var s sample
		err := sendUntilAccepted(c, msg, &s, onOther)
		if idx >= 0 {
			out[idx].accepted, out[idx].acceptedAt, out[idx].retries = s.accepted, s.acceptedAt, s.retries
		}
		if err != nil {
			return out, err
		}
		if ackErr != nil {
			return out, fmt.Errorf("edgebench: ack: %w", ackErr)
		}
	}
	for replies < len(pending) {
		f, err := readFrame(c)
		if err != nil {
			return out, fmt.Errorf("edgebench: %d of %d replies: %w", replies, len(pending), err)
		}
		onOther(f)
	}
	return out, nil
}

// publishClient sends each message when the previous one is accepted (the
// publish baseline answers nothing else).
func publishClient(ctx context.Context, c *websocket.Conn, o Options, line *startLine) (out []sample, err error) {
	gate := warmupGate{line: line}
	defer gate.release()
	for i := range o.Warmup + o.Messages {
		if i == o.Warmup {
			gate.pass()
		}
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		var s sample
		msg := chat.Frame{V: 1, Type: chat.FrameMessage, ID: chat.NewID(), Text: o.Text}
		if err := sendUntilAccepted(c, msg, &s, func(chat.Frame) {}); err != nil {
			return out, err
		}
		if i >= o.Warmup {
			out = append(out, s)
		}
	}
	return out, nil
}

func echoClient(ctx context.Context, c *websocket.Conn, o Options, line *startLine) (out []sample, err error) {
	gate := warmupGate{line: line}
	defer gate.release()
	for i := range o.Warmup + o.Messages {
		if i == o.Warmup {
			gate.pass()
		}
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		// The same frame the other clients send, so all move the same bytes.
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
			now := time.Now()
			out = append(out, sample{accepted: now.Sub(t0), acceptedAt: now})
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
	fs.IntVar(&o.Rounds, "rounds", 1, "measure each server this many times, alternating, and report the medians")
	fs.StringVar(&o.Text, "text", "", "the message text every client sends (default: an order question with an e-mail address and a phone number)")
	defPipeline := "none"
	if PluginLoader != nil {
		defPipeline = "eu"
	}
	plugins := fs.String("plugins", defPipeline, "plugin pipeline measured at the edge (eu, pii, full), resolved by the loader kefu-bench installs; none: skip that measurement")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	fs.BoolVar(&o.Echo, "echo", false, "also measure a bare Fiber WebSocket echo handler")
	verbose := fs.Bool("v", false, "log the edge's warnings and errors to stderr")
	cpuProfile := fs.String("cpuprofile", "", "write the CPU profile of the first round's pipeline run (without --plugins: the edge's run) to this file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kefu bench edge [--clients N] [--messages M] [--plugins NAME] [--text TEXT] [--echo] [--json]")
		fmt.Fprintln(stderr, "Measures, in one run against NATS JetStream and a central stand-in: the edge with the pipeline NAME,")
		fmt.Fprintln(stderr, "the same edge without plugins, and a minimal Fiber WebSocket handler that publishes each frame to")
		fmt.Fprintln(stderr, "the same stream and waits for its PubAck; prints pipeline/edge and edge/publish throughput ratios.")
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
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "kefu bench edge: %v\n", err)
			return 1
		}
		defer f.Close()
		o.CPUProfile = f
	}
	if *plugins != "" && *plugins != "none" {
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
	fmt.Fprintf(w, "kefu bench edge: %d clients × %d messages, GOMAXPROCS=%d, plugins: %s, rounds: %d (medians)\n\n",
		r.Clients, r.Messages, r.GOMAXPROCS, r.Plugins, r.Rounds)
	fmt.Fprintf(w, "%-30s %9s %10s %10s %10s %10s %8s %5s %7s %6s\n", "", "msgs/s", "acc p50", "acc p99", "reply p50", "reply p99", "cpu/msg", "cores", "retries", "errors")
	row := func(name string, st Stats) {
		rp50, rp99 := "-", "-"
		if st.P50 > 0 {
			rp50, rp99 = round(st.P50), round(st.P99)
		}
		cpu := "-"
		if st.CPUPerMessage > 0 {
			cpu = fmt.Sprintf("%.0fµs", float64(st.CPUPerMessage)/1e3)
		}
		fmt.Fprintf(w, "%-30s %9.0f %10s %10s %10s %10s %8s %5.2f %7d %6d\n", name, st.PerSecond, round(st.AcceptedP50), round(st.AcceptedP99), rp50, rp99, cpu, st.Cores, st.Retries, st.Errors)
		if st.FirstError != "" {
			fmt.Fprintf(w, "%-30s %s\n", "  first error:", st.FirstError)
		}
	}
	if r.Pipeline != nil {
		row("edge + "+r.Plugins+" pipeline", *r.Pipeline)
	}
	row("edge, no plugins", r.Edge)
	row("publish baseline (PubAck)", r.Publish)
	if r.Echo != nil {
		row("fiber ws echo", *r.Echo)
	}
	fmt.Fprintln(w)
	if r.Pipeline != nil {
		fmt.Fprintf(w, "pipeline/edge throughput: %.2f× (goal ≥ %.1f×: %s)%s\n", r.PipelineRatio, PipelineGoal, verdict(r.PipelineRatio >= PipelineGoal), rounds(r.PipelineRatios))
	}
	fmt.Fprintf(w, "edge/publish throughput:  %.2f× (goal ≥ %.1f×: %s)%s\n", r.EdgeRatio, EdgeGoal, verdict(r.EdgeRatio >= EdgeGoal), rounds(r.EdgeRatios))
	if r.EdgeCPURatio > 0 {
		if r.Pipeline != nil && r.PipelineCPURatio > 0 {
			fmt.Fprintf(w, "pipeline/edge by CPU per message: %.2f×%s\n", r.PipelineCPURatio, rounds(r.PipelineCPURatios))
		}
		fmt.Fprintf(w, "edge/publish by CPU per message:  %.2f×%s\n", r.EdgeCPURatio, rounds(r.EdgeCPURatios))
	}
	if r.EdgeRSS > 0 {
		fmt.Fprintf(w, "process RSS after the edge runs: %.1f MiB (edge, plugin pools, NATS, central stand-in)\n", float64(r.EdgeRSS)/(1<<20))
	}
	fmt.Fprintln(w, strings.Repeat("-", 66))
	fmt.Fprintln(w, "accepted = stored in JetStream (PubAck); each client sends its next message once the last is accepted;")
	fmt.Fprintln(w, "the edge also delivers central's replies to the clients. cpu/msg: the whole process's CPU time")
	fmt.Fprintln(w, "(clients, server, NATS, central stand-in) per message; cores: that CPU time over the wall time.")
	fmt.Fprintln(w, "Compare within one run.")
}

// rounds lists the per-round ratios when there is more than one.
func rounds(v []float64) string {
	if len(v) < 2 {
		return ""
	}
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return "; rounds " + strings.Join(parts, ", ")
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
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
