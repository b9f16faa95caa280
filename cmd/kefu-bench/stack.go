package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/quantile"
)

func init() {
	register("stack", "the whole stack under load: N shoppers on one kefu dev send messages at a fixed rate; accepted, answered, lost and doubled by id, latencies, the server's CPU profile", runStack)
}

// stackTexts are the shoppers' messages, in turn: questions the demo
// knowledge answers (assets/faq, assets/kb), in several languages, so that
// central's bot answers each and no conversation is handed to the (absent)
// agents, which would leave later messages without an answer.
var stackTexts = []string{
	"What is your return policy?",
	"How long does shipping take?",
	"Are returns free?",
	"退货政策是什么?",
	"Wie kann ich etwas zurückschicken?",
	"How do I return an item?",
	"Do you ship internationally?",
	"Quelle est votre politique de retour ?",
}

// stackMsg is what the load generator knows of one message, by its index.
type stackMsg struct {
	sent      atomic.Int64 // unix ns of the (first) write; 0: not sent
	accepted  atomic.Int64 // unix ns of the first accepted frame
	replied   atomic.Int64 // unix ns of the first reply (a message frame with reply_to = id)
	acks      atomic.Int32 // accepted frames
	replies   atomic.Int32 // distinct reply ids
	retries   atomic.Int32 // resends after unavailable / rate_limited
	refused   atomic.Int32 // other error frames naming the id
	lastError atomic.Value // string
}

type stackShopper struct {
	c   *websocket.Conn
	wmu sync.Mutex
	dl  time.Time // the write deadline set last
}

// write sends f, encoded by chat's hand-written frame encoder (the same
// bytes as encoding/json, for less of the shared CPU). The write deadline
// is moved only when less than half of it is left: setting it is a timer
// change per write otherwise.
func (s *stackShopper) write(f chat.Frame) error {
	b, err := chat.EncodeFrame(&f)
	if err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if now := time.Now(); s.dl.Sub(now) < 15*time.Second {
		s.dl = now.Add(30 * time.Second)
		_ = s.c.SetWriteDeadline(s.dl)
	}
	return s.c.WriteMessage(websocket.TextMessage, b)
}

// runStack is `kefu bench stack`: it starts `kefu dev` with a pprof
// listener (or uses --addr and --pprof), opens --shoppers WebSocket
// connections (spread over source addresses 127.0.0.x so that a server's
// per-address cap does not refuse them), and then sends --rate messages per
// second for --duration, message i from shopper i mod N, each with its own
// id. Every frame the server sends back is counted by id: accepted, the
// replies (a message frame whose reply_to is the id; each reply is acked as
// a widget does), errors. Meanwhile it records the server's CPU profile. It
// then waits up to --drain for missing replies and prints the table:
// accepted and reply latencies from the write of the message, lost (not
// accepted or not answered), doubled (a reply id delivered twice, an id
// accepted twice without a resend), the rate achieved, and the top of the
// profile (`go tool pprof -top`).
func runStack(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kefu bench stack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	shoppers := fs.Int("shoppers", 10000, "WebSocket connections (shoppers), all open before the load starts")
	rate := fs.Float64("rate", 2000, "messages per second, all shoppers together (message i from shopper i mod N)")
	duration := fs.Duration("duration", 20*time.Second, "how long to send")
	drain := fs.Duration("drain", 30*time.Second, "after the last send, wait at most this long for missing accepts and replies")
	addr := fs.String("addr", "", "a running kefu dev (host:port); empty: start kefu dev with --pprof-addr")
	pprofAddr := fs.String("pprof", "", "with --addr: the server's --pprof-addr (host:port) to read its CPU profile from; empty: no profile")
	kefuBin := fs.String("kefu", "", "kefu binary to start (default: kefu next to this binary, else on PATH)")
	extra := fs.String("dev-flags", "", "extra flags for kefu dev (space-separated)")
	parallel := fs.Int("parallel", 32, "concurrent dials while connecting")
	perSource := fs.Int("per-source", 900, "connections per source address 127.0.0.x when the server is on loopback (its per-address cap is 1,000 unless set)")
	senders := fs.Int("senders", 16, "goroutines writing the scheduled messages")
	profile := fs.String("profile", "", "write the server's CPU profile here (default: a file in the temporary folder)")
	selfProfile := fs.String("self-profile", "", "write the load generator's own CPU profile (from the first send to the end of the drain) here; empty: none")
	procs := fs.Int("procs", 1, "GOMAXPROCS of the load generator once the server is started (0: unchanged): one P spends less of the shared CPU spinning for work (15-18% less generator CPU per message, schedule lag p99 +2-3 ms)")
	profileSpan := fs.Duration("profile-span", 0, "profile only the first D of the sending, rounded up to whole seconds (0: all of it); e.g. 5s for the shoppers' first messages")
	profileSkip := fs.Duration("profile-skip", 0, "start the profile this long after the first send (with --profile-span: a window of the sending, e.g. 10s for the steady state)")
	top := fs.Int("top", 25, "functions to print from the top of the profile")
	showTimeline := fs.Bool("timeline", false, "also print reply latency per second of send time (where a stall hit)")
	site := fs.String("site", "demo", "site key")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *shoppers <= 0 || *rate <= 0 || *duration <= 0 {
		fmt.Fprintln(stderr, "kefu bench stack: --shoppers, --rate and --duration must be positive")
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "kefu bench stack:", err)
		return 1
	}
	if *addr == "" {
		pa, err := freeLoopback()
		if err != nil {
			return fail(err)
		}
		a, stop, err := startDev(ctx, *kefuBin, append([]string{"--pprof-addr", pa}, strings.Fields(*extra)...), stderr)
		if err != nil {
			return fail(err)
		}
		defer stop()
		*addr, *pprofAddr = a, pa
	}
	if *procs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(*procs))
	}
	if *profile == "" {
		*profile = filepath.Join(os.TempDir(), fmt.Sprintf("kefu-stack-cpu-%d.pprof", time.Now().Unix()))
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return fail(err)
	}
	loopback := host == "localhost" || net.ParseIP(host).IsLoopback()
	// The generator's heap is small and long-lived (the connections, the
	// message table): collect it less often, for more of the shared CPU
	// left to the server.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	machine := probeSpeed()
	fmt.Fprintf(stderr, "kefu bench stack: machine speed before connecting: %s\n", machine)
	before, _ := scrape(*addr)

	// Connect every shopper.
	run := strconv.FormatInt(time.Now().UnixMilli()%1e8, 36)
	conns := make([]*stackShopper, *shoppers)
	var (
		next, connFailed atomic.Int64
		firstConnErr     atomic.Value
		wg               sync.WaitGroup
	)
	total := int(float64(*duration) / float64(time.Second) * *rate)
	msgs := make([]stackMsg, total)
	index := make(map[string]int, total) // message id → index; read-only once the load starts
	ids := make([]string, total)
	for i := range ids {
		ids[i] = "b" + run + "-" + strconv.Itoa(i)
		index[ids[i]] = i
	}
	var doubledReplies, doubledAccepts, otherFrames atomic.Int64
	var readers sync.WaitGroup
	t0 := time.Now()
	for range *parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= *shoppers {
					return
				}
				d := websocket.Dialer{HandshakeTimeout: 60 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}
				if loopback && *perSource > 0 {
					src := &net.TCPAddr{IP: net.IPv4(127, 0, byte(i / *perSource / 254), byte(1 + i / *perSource % 254))}
					d.NetDialContext = (&net.Dialer{LocalAddr: src, Timeout: 60 * time.Second}).DialContext
				}
				var c *websocket.Conn
				var err error
				for try := 0; try < 5; try++ {
					var resp *http.Response
					c, resp, err = d.DialContext(ctx, "ws://"+*addr+"/ws?site="+*site, nil)
					if err == nil || resp == nil || resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
						break
					}
					time.Sleep(time.Duration(try+1) * 200 * time.Millisecond)
				}
				if err != nil {
					connFailed.Add(1)
					firstConnErr.CompareAndSwap(nil, err.Error())
					continue
				}
				sh := &stackShopper{c: c}
				if err := sh.write(chat.Frame{V: chat.ProtocolVersion, Type: chat.FrameHello, Visitor: "bench-" + run + "-" + strconv.Itoa(i)}); err != nil {
					connFailed.Add(1)
					firstConnErr.CompareAndSwap(nil, err.Error())
					c.Close()
					continue
				}
				conns[i] = sh
				readers.Add(1)
				go func() {
					defer readers.Done()
					stackRead(sh, msgs, index, &doubledReplies, &doubledAccepts, &otherFrames)
				}()
			}
		}()
	}
	wg.Wait()
	connected := time.Since(t0)
	open := 0
	for _, c := range conns {
		if c != nil {
			open++
		}
	}
	fmt.Fprintf(stderr, "kefu bench stack: %d shoppers connected in %s (%d failed); sending %d messages at %g/s\n",
		open, connected.Round(time.Millisecond), connFailed.Load(), total, *rate)
	if open == 0 {
		if e, ok := firstConnErr.Load().(string); ok {
			return fail(errors.New("no shopper connected: " + e))
		}
		return fail(errors.New("no shopper connected"))
	}

	// The server's CPU profile over the sending time.
	profDone := make(chan error, 1)
	if *pprofAddr != "" {
		span := *duration
		if *profileSpan > 0 && *profileSpan < span {
			span = *profileSpan
		}
		secs := int((span + time.Second - 1) / time.Second)
		go func() {
			select {
			case <-time.After(*profileSkip):
			case <-ctx.Done():
			}
			profDone <- fetchProfile(ctx, *pprofAddr, secs, *profile)
		}()
	} else {
		profDone <- errors.New("no --pprof address")
	}

	// The server's CPU time from here to the end (scraped again after the
	// drain): its CPU per message, whatever share of the cores it got.
	atSend, _ := scrape(*addr)
	benchAtSend, boxAtSend, wallAtSend := selfCPU(), machineCPU(), time.Now()
	stopSelf, err := startSelfProfile(*selfProfile)
	if err != nil {
		return fail(err)
	}

	// Send on schedule: message i at start + i/rate.
	type job struct{ i int }
	jobs := make(chan job, 4096)
	var lags []time.Duration
	var lagMu sync.Mutex
	var sendErrs atomic.Int64
	var sw sync.WaitGroup
	start := time.Now()
	interval := time.Duration(float64(time.Second) / *rate)
	for range *senders {
		sw.Add(1)
		go func() {
			defer sw.Done()
			var mine []time.Duration
			for j := range jobs {
				sh := conns[j.i%len(conns)]
				if sh == nil {
					sh = conns[slices.IndexFunc(conns, func(c *stackShopper) bool { return c != nil })]
				}
				now := time.Now()
				mine = append(mine, now.Sub(start.Add(time.Duration(j.i)*interval)))
				msgs[j.i].sent.Store(now.UnixNano())
				f := chat.Frame{V: chat.ProtocolVersion, Type: chat.FrameMessage, ID: ids[j.i], Text: stackTexts[(j.i/len(conns))%len(stackTexts)]}
				if err := sh.write(f); err != nil {
					sendErrs.Add(1)
					msgs[j.i].lastError.Store("send: " + err.Error())
				}
			}
			lagMu.Lock()
			lags = append(lags, mine...)
			lagMu.Unlock()
		}()
	}
	for i := 0; i < total && ctx.Err() == nil; i++ {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		jobs <- job{i}
	}
	close(jobs)
	sw.Wait()
	sendTime := time.Since(start)

	// Drain: wait for what is missing.
	deadline := time.Now().Add(*drain)
	missing := func() int {
		n := 0
		for i := range msgs {
			if msgs[i].sent.Load() != 0 && (msgs[i].accepted.Load() == 0 || msgs[i].replied.Load() == 0) && msgs[i].refused.Load() == 0 {
				n++
			}
		}
		return n
	}
	for missing() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(200 * time.Millisecond)
	}
	// Late doubles: give the server a moment to send anything twice.
	time.Sleep(time.Second)
	after, _ := scrape(*addr)
	benchCPU, boxCPU, wall := selfCPU()-benchAtSend, machineCPU()-boxAtSend, time.Since(wallAtSend)
	stopSelf()
	healthy := get("http://"+*addr+"/healthz") == nil
	for _, c := range conns {
		if c != nil {
			c.c.Close()
		}
	}
	readers.Wait()
	profErr := <-profDone

	// Count.
	var acc, rep []time.Duration
	var sent, accepted, answered, refused, retried int
	var lastReply int64
	var firstErr string
	for i := range msgs {
		m := &msgs[i]
		s := m.sent.Load()
		if s == 0 {
			continue
		}
		sent++
		if m.retries.Load() > 0 {
			retried++
		}
		if m.refused.Load() > 0 {
			refused++
		}
		if a := m.accepted.Load(); a != 0 {
			accepted++
			acc = append(acc, time.Duration(a-s))
		}
		if r := m.replied.Load(); r != 0 {
			answered++
			rep = append(rep, time.Duration(r-s))
			lastReply = max(lastReply, r)
		}
		if e, ok := m.lastError.Load().(string); ok && firstErr == "" {
			firstErr = e
		}
	}
	slices.Sort(acc)
	slices.Sort(rep)
	slices.Sort(lags)
	lost := sent - answered
	span := time.Duration(lastReply - start.UnixNano())
	fmt.Fprintf(stdout, "kefu bench stack: %d shoppers on %s, %g msg/s offered for %s (%d messages), same machine as the server\n",
		open, *addr, *rate, *duration, total)
	fmt.Fprintf(stdout, "| measure | value |\n| --- | --- |\n")
	fmt.Fprintf(stdout, "| machine speed before connecting (compare runs only where it agrees) | %s |\n", machine)
	fmt.Fprintf(stdout, "| shoppers connected (failed) | %d (%d) in %s |\n", open, connFailed.Load(), connected.Round(time.Millisecond))
	fmt.Fprintf(stdout, "| messages sent | %d in %s (%.0f msg/s) |\n", sent, sendTime.Round(time.Millisecond), float64(sent)/sendTime.Seconds())
	fmt.Fprintf(stdout, "| accepted | %d |\n", accepted)
	fmt.Fprintf(stdout, "| answered | %d |\n", answered)
	fmt.Fprintf(stdout, "| lost (sent, never answered) | %d |\n", lost)
	fmt.Fprintf(stdout, "| refused (error frame other than unavailable/rate_limited) | %d |\n", refused)
	fmt.Fprintf(stdout, "| resent after unavailable/rate_limited | %d |\n", retried)
	fmt.Fprintf(stdout, "| doubled (a reply id delivered twice; accepted twice without a resend) | %d; %d |\n", doubledReplies.Load(), doubledAccepts.Load())
	fmt.Fprintf(stdout, "| accepted p50 / p99 / max | %s / %s / %s |\n", round(quantile.Sorted(acc, .5)), round(quantile.Sorted(acc, .99)), round(quantile.Sorted(acc, 1)))
	fmt.Fprintf(stdout, "| reply p50 / p99 / max | %s / %s / %s |\n", round(quantile.Sorted(rep, .5)), round(quantile.Sorted(rep, .99)), round(quantile.Sorted(rep, 1)))
	if span > 0 {
		fmt.Fprintf(stdout, "| answered per second (first send → last reply) | %.0f msg/s |\n", float64(answered)/span.Seconds())
	}
	fmt.Fprintf(stdout, "| generator behind schedule p99 / max | %s / %s |\n", round(quantile.Sorted(lags, .99)), round(quantile.Sorted(lags, 1)))
	fmt.Fprintf(stdout, "| send errors | %d |\n", sendErrs.Load())
	if cpu := after.cpu - atSend.cpu; atSend.cpu > 0 && answered > 0 {
		fmt.Fprintf(stdout, "| server CPU from the first send to the end (%.1f s); per answered message | %.1f s (%.0f%%); %.0f µs |\n", wall.Seconds(), cpu, 100*cpu/wall.Seconds(), cpu/float64(answered)*1e6)
		fmt.Fprintf(stdout, "| load generator (this process) CPU, same span; per answered message | %.1f s (%.0f%%); %.0f µs |\n", benchCPU, 100*benchCPU/wall.Seconds(), benchCPU/float64(answered)*1e6)
		if boxCPU > 0 {
			fmt.Fprintf(stdout, "| whole machine busy, same span; of it neither server nor generator | %.1f s (%.0f%%); %.1f s (%.0f%%) |\n", boxCPU, 100*boxCPU/wall.Seconds(), boxCPU-cpu-benchCPU, 100*(boxCPU-cpu-benchCPU)/wall.Seconds())
		}
	}
	fmt.Fprintf(stdout, "| server RSS before / after | %.0f / %.0f MiB |\n", before.rss/(1<<20), after.rss/(1<<20))
	fmt.Fprintf(stdout, "| server healthy at the end | %v |\n", healthy)
	if firstErr != "" {
		fmt.Fprintf(stdout, "first error: %s\n", firstErr)
	}
	if e, ok := firstConnErr.Load().(string); ok {
		fmt.Fprintf(stdout, "first connection failure: %s\n", e)
	}
	goal := lost == 0 && refused == 0 && doubledReplies.Load() == 0 && doubledAccepts.Load() == 0 && accepted == sent &&
		quantile.Sorted(rep, .99) <= 250*time.Millisecond
	fmt.Fprintf(stdout, "goal (every message accepted and answered once, reply p99 ≤ 250 ms): %s\n", verdictOf(goal))
	if *showTimeline {
		printTimeline(stdout, timeline(msgs, start))
	}
	if profErr != nil {
		fmt.Fprintf(stdout, "\nno server profile: %v\n", profErr)
	} else {
		fmt.Fprintf(stdout, "\nserver CPU profile: %s (go tool pprof -http=: %s)\n", *profile, *profile)
		printTop(stdout, *profile, *top)
	}
	if !healthy || sent == 0 {
		return 1
	}
	return 0
}

// stackRead reads one shopper's frames until the connection closes and
// counts them against the messages by id.
func stackRead(sh *stackShopper, msgs []stackMsg, index map[string]int, doubledReplies, doubledAccepts, other *atomic.Int64) {
	seen := map[string]bool{} // reply ids on this connection
	var buf []byte            // one read buffer per connection, reused
	for {
		_, r, err := sh.c.NextReader()
		if err != nil {
			return
		}
		if buf, err = readAll(buf[:0], r); err != nil {
			return
		}
		var f chat.Frame
		if chat.DecodeFrame(buf, &f) != nil {
			other.Add(1)
			continue
		}
		now := time.Now().UnixNano()
		switch f.Type {
		case chat.FrameAccepted:
			i, ok := index[f.ID]
			if !ok {
				continue
			}
			m := &msgs[i]
			if m.acks.Add(1) > 1 && m.retries.Load() == 0 {
				doubledAccepts.Add(1)
			}
			m.accepted.CompareAndSwap(0, now)
		case chat.FrameMessage:
			if f.ReplyTo == "" {
				continue
			}
			if seen[f.ID] {
				doubledReplies.Add(1)
			} else {
				seen[f.ID] = true
				if i, ok := index[f.ReplyTo]; ok {
					msgs[i].replies.Add(1)
					msgs[i].replied.CompareAndSwap(0, now)
				}
			}
			_ = sh.write(chat.Frame{V: chat.ProtocolVersion, Type: chat.FrameAck, ID: f.ID})
		case chat.FrameError:
			i, ok := index[f.ID]
			if !ok {
				other.Add(1)
				continue
			}
			m := &msgs[i]
			m.lastError.Store(f.Code + ": " + f.Reason)
			if (f.Code == chat.CodeUnavailable || f.Code == chat.CodeRateLimited) && m.retries.Load() < 20 {
				// What a widget does (docs/PROTOCOL.md §6): the same id again, later.
				n := m.retries.Add(1)
				id := f.ID
				text := stackTexts[i%len(stackTexts)]
				time.AfterFunc(time.Duration(n)*100*time.Millisecond, func() {
					_ = sh.write(chat.Frame{V: chat.ProtocolVersion, Type: chat.FrameMessage, ID: id, Text: text})
				})
				continue
			}
			m.refused.Add(1)
		}
	}
}

// readAll appends what r holds to b (io.ReadAll into a buffer kept from
// one frame to the next).
func readAll(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

func round(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(10 * time.Microsecond).String()
	}
}

func verdictOf(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// freeLoopback returns a free 127.0.0.1 port.
func freeLoopback() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// fetchProfile reads a CPU profile of secs seconds from a --pprof-addr
// listener into path.
func fetchProfile(ctx context.Context, addr string, secs int, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("profile: %s: %s", resp.Status, b)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// printTop prints the top of a CPU profile, flat and cumulative, with `go
// tool pprof` when a Go toolchain is on PATH.
func printTop(w io.Writer, path string, n int) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		fmt.Fprintln(w, "(no go on PATH for `go tool pprof -top`)")
		return
	}
	for _, sort := range []string{"-flat", "-cum"} {
		out, err := exec.Command(goBin, "tool", "pprof", "-top", sort, "-nodecount="+strconv.Itoa(n), path).CombinedOutput()
		if err != nil {
			fmt.Fprintf(w, "go tool pprof: %v\n%s\n", err, out)
			return
		}
		fmt.Fprintf(w, "\n```\n%s```\n", out)
	}
}
