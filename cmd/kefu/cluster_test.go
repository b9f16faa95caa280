package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx", for the test's schema
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
	"github.com/kefu-io/kefu/internal/tracing"
)

// natsServerMain is nats-server's own main (its module's main.go): the
// test binary runs it as a separate process when KEFU_TEST_NATS_SERVER=1,
// so the cluster test runs real nats-server processes without building
// another binary.
func natsServerMain(args []string) int {
	fs := flag.NewFlagSet("nats-server", flag.ExitOnError)
	opts, err := server.ConfigureOptions(fs, args, server.PrintServerAndExit, fs.Usage, server.PrintTLSHelpAndDie)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nats-server:", err)
		return 1
	}
	s, err := server.NewServer(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nats-server:", err)
		return 1
	}
	s.ConfigureLogger()
	if err := server.Run(s); err != nil {
		fmt.Fprintln(os.Stderr, "nats-server:", err)
		return 1
	}
	s.WaitForShutdown()
	return 0
}

// TestClusterFailover is the scale-out topology of deploy/compose as
// separate processes: three nats-server processes in one cluster with
// JetStream (domain central, from deploy/compose/nats.conf), PostgreSQL,
// two `kefu central` replicas (--stream-replicas 3) and two regional
// `kefu edge --leaf` nodes (eu, us) linked to the cluster's leaf ports.
// Shoppers on both edges chat at a steady pace while the test kills, with
// SIGKILL and one at a time, the NATS node that leads KEFU_INBOUND (and
// restarts it), one central replica (left dead) and the eu edge (restarted
// on its data folder; its shoppers reconnect and resume). Then it counts,
// by message id: every message an edge accepted is answered exactly once
// (one reply id, over the live frames and a full history replay on the
// shopper's socket), every shopper stays in one conversation (welcome,
// accepted and replies; one conversation per visitor in the store), and
// the queues are consistent: the store holds each accepted message once
// with one reply, central's durable consumer has nothing pending or
// unacknowledged, the regional streams are drained, and KEFU_INBOUND has
// three current replicas. Every process exports traces to a collector
// stand-in: the trace context crosses the leaf links and the sourcing of
// the regional streams (central's span is the child of the edge's publish).
func TestClusterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dsn := testPostgres(t)
	col := &spanCollector{parents: map[string]string{}, names: map[string]string{}}
	collector := httptest.NewServer(col)
	defer collector.Close()
	otlp := collector.URL + "/v1/traces"
	c := &cluster{t: t, leafSecret: "leaf-" + chat.NewID(), centralPassword: "central-" + chat.NewID()}
	c.startNATS()
	creds := filepath.Join(t.TempDir(), "central-nats.json")
	if err := os.WriteFile(creds, []byte(`{"user":"central","password":"`+c.centralPassword+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var centrals []*proc
	for i := range 2 {
		p := c.proc(fmt.Sprintf("central%d", i+1), false, "central", "--addr", c.addr(), "--data", t.TempDir(),
			"--nats", strings.Join(c.clientURLs, ","), "--nats-credentials", creds, "--postgres", dsn, "--stream-replicas", "3", "--otlp-endpoint", otlp)
		c.start(p)
		centrals = append(centrals, p)
		c.waitReady(p) // one at a time: the first creates the streams
	}
	edges := map[string]*proc{}
	for _, region := range []string{"eu", "us"} {
		p := c.proc("edge-"+region, false, "edge", "--region", region, "--addr", c.addr(), "--data", t.TempDir(),
			"--leaf", strings.Join(c.leafURLs, ","), "--leaf-token", c.leafToken(region), "--otlp-endpoint", otlp)
		c.start(p)
		edges[region] = p
	}
	for _, p := range edges {
		c.waitReady(p)
	}
	nc := c.connect()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 60*time.Second, func() error { // both regions' sources declared
		info, err := streamInfo(js, chat.StreamInbound)
		if err != nil {
			return err
		}
		if len(info.Sources) < 2 || info.Config.Replicas != 3 {
			return fmt.Errorf("KEFU_INBOUND has %d sources and %d replicas, want 2 and 3", len(info.Sources), info.Config.Replicas)
		}
		return nil
	})

	load := &shoppers{}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	for _, region := range []string{"eu", "us"} {
		for i := range 6 {
			s := &shopper{name: fmt.Sprintf("%s-%d", region, i), region: region, addr: edges[region].addr, visitor: "v-cluster-" + chat.NewID(),
				replies: map[string]map[string]bool{}, accepted: map[string]bool{}, convs: map[string]bool{}}
			load.add(s)
			go s.run(ctx)
		}
	}
	started := time.Now()
	progress := func(step string, more int) {
		t.Helper()
		want := load.answered() + more
		poll.Until(t, 120*time.Second, func() error {
			if n := load.answered(); n < want {
				return fmt.Errorf("%s: %d messages answered, want %d", step, n, want)
			}
			return nil
		})
		t.Logf("%6.1fs %s: %d accepted, %d answered", time.Since(started).Seconds(), step, load.accepted(), load.answered())
	}
	progress("warm-up", 30)

	// 1. The NATS node that leads KEFU_INBOUND.
	info, err := streamInfo(js, chat.StreamInbound)
	if err != nil {
		t.Fatal(err)
	}
	leader := slices.IndexFunc(c.natsNames, func(n string) bool { return n == info.Cluster.Leader })
	if leader < 0 {
		t.Fatalf("KEFU_INBOUND's leader %q is none of %v", info.Cluster.Leader, c.natsNames)
	}
	c.kill(c.nats[leader])
	progress("NATS node "+c.natsNames[leader]+" killed", 30)
	c.start(c.nats[leader])
	poll.Until(t, 120*time.Second, func() error { return c.replicasCurrent(js) })
	progress("NATS node restarted and current", 20)

	// 2. A central replica (left dead: the other one takes everything,
	// including what the dead one had fetched and not acknowledged).
	c.kill(centrals[0])
	progress("central1 killed", 30)

	// 3. The eu edge: its shoppers lose their sockets; restarted on the
	// same data folder, it hands on what it had accepted.
	c.kill(edges["eu"])
	poll.Until(t, 60*time.Second, func() error {
		for _, s := range load.list() {
			if s.region == "eu" && s.isConnected() {
				return fmt.Errorf("shopper %s still connected to the killed edge", s.name)
			}
		}
		return nil
	})
	c.start(edges["eu"])
	c.waitReady(edges["eu"])
	progress("edge eu killed and restarted", 40)

	stop()
	load.wait()
	t.Logf("%6.1fs load stopped: %d accepted, %d answered", time.Since(started).Seconds(), load.accepted(), load.answered())

	// Every accepted message answered: replies still on their way come
	// with a full history replay on a new socket. The rounds are paced
	// (replayPace), not polled at poll.Interval: each replay adds a probe
	// and its reply to the shopper's history, a message a killed central
	// had taken is redelivered only after AckWait (30 s), and the faster
	// central answered the probes, the more rounds fit in those 30 s and
	// the longer each replay grew (past the edge's send queue of 256
	// frames, which closed every resume until replays were let past it).
	const replayPace = 2 * time.Second
	poll.Every(t, 150*time.Second, replayPace, func() error {
		var missing []string
		for _, s := range load.list() {
			if s.unanswered() > 0 {
				if err := s.replay(); err != nil {
					missing = append(missing, s.name+": "+err.Error())
				} else if n := s.unanswered(); n > 0 {
					missing = append(missing, fmt.Sprintf("%s: %d accepted messages without a reply", s.name, n))
				}
			}
		}
		if len(missing) > 0 {
			return errors.New(strings.Join(missing, "; "))
		}
		return nil
	})
	// One last full replay for every shopper: no answer appears twice.
	for _, s := range load.list() {
		if err := s.replay(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%6.1fs all answered: %d accepted, %d answered", time.Since(started).Seconds(), load.accepted(), load.answered())

	for _, s := range load.list() {
		s.mu.Lock()
		for id := range s.accepted {
			if n := len(s.replies[id]); n != 1 {
				t.Errorf("shopper %s: message %s has %d replies %v, want 1", s.name, id, n, s.replies[id])
			}
		}
		for id := range s.replies {
			if !s.sentIDs[id] {
				t.Errorf("shopper %s got a reply to %s, a message it never sent", s.name, id)
			}
		}
		if len(s.convs) != 1 {
			t.Errorf("shopper %s saw %d conversations %v, want 1", s.name, len(s.convs), s.convs)
		}
		for _, e := range s.errs {
			t.Errorf("shopper %s: %s", s.name, e)
		}
		s.mu.Unlock()
	}

	// The queues: nothing pending at central, the regions drained.
	poll.Until(t, 60*time.Second, func() error {
		ci, err := js.Consumer(t.Context(), chat.StreamInbound, chat.ConsumerCentral)
		if err != nil {
			return err
		}
		i, err := ci.Info(t.Context())
		if err != nil {
			return err
		}
		if i.NumPending != 0 || i.NumAckPending != 0 {
			return fmt.Errorf("central's consumer: %d pending, %d unacknowledged", i.NumPending, i.NumAckPending)
		}
		for _, region := range []string{"eu", "us"} {
			rjs, err := jetstream.NewWithDomain(nc, "edge-"+region)
			if err != nil {
				return err
			}
			info, err := streamInfo(rjs, chat.StreamRegion)
			if err != nil {
				return fmt.Errorf("region %s: %w", region, err)
			}
			if info.State.Msgs != 0 {
				return fmt.Errorf("region %s still holds %d messages", region, info.State.Msgs)
			}
		}
		return c.replicasCurrent(js)
	})

	// The store: one conversation per shopper, each accepted message once
	// with exactly one reply.
	st, err := store.OpenPostgres(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	convs, err := st.Conversations(t.Context(), "demo", store.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	byVisitor := map[string][]string{}
	for _, cv := range convs {
		byVisitor[cv.Visitor] = append(byVisitor[cv.Visitor], cv.ID)
	}
	stored := 0
	for _, s := range load.list() {
		if ids := byVisitor[s.visitor]; len(ids) != 1 || ids[0] != s.conv {
			t.Errorf("shopper %s: conversations in the store %v, want [%s]", s.name, ids, s.conv)
			continue
		}
		msgs, err := st.Messages(t.Context(), "demo", s.conv, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		own, answers := map[string]int{}, map[string]int{}
		for _, m := range msgs {
			switch {
			case m.Role == chat.RoleShopper:
				own[m.ID]++
			case m.ReplyTo != "":
				answers[m.ReplyTo]++
			}
		}
		for id := range s.accepted {
			stored++
			if own[id] != 1 || answers[id] != 1 {
				t.Errorf("shopper %s: message %s stored %d times with %d answers, want 1 and 1", s.name, id, own[id], answers[id])
			}
		}
	}
	// The trace context crossed the leaf links and the sourcing into
	// KEFU_INBOUND: for messages of both regions, central's span is the
	// child of the edge's publish span (traces are exported every 2 s).
	poll.Until(t, 60*time.Second, func() error {
		for _, region := range []string{"eu", "us"} {
			linked := 0
			for _, s := range load.list() {
				if s.region != region {
					continue
				}
				s.mu.Lock()
				for id := range s.accepted {
					if col.linked(id) {
						linked++
					}
				}
				s.mu.Unlock()
			}
			if linked == 0 {
				return fmt.Errorf("no message of region %s has central.process under the edge's nats.publish", region)
			}
		}
		return nil
	})
	t.Logf("%6.1fs checked: %d shoppers, %d accepted messages each answered once, one conversation each; load %s",
		time.Since(started).Seconds(), len(load.list()), stored, loadavg())
}

// cluster starts and kills the processes of TestClusterFailover.
type cluster struct {
	t                    *testing.T
	leafSecret           string // the leaf tokens' root: each region has its own (nats-users.conf)
	centralPassword      string
	nats                 []*proc
	natsNames            []string
	clientURLs, leafURLs []string
	mu                   sync.Mutex
	procs                []*proc
}

// leafToken is region's token for the cluster's leaf ports
// ($LEAF_TOKEN_<REGION> of deploy/compose/nats-users.conf).
func (c *cluster) leafToken(region string) string { return c.leafSecret + "-" + region }

// proc is one process of the cluster; start runs it again after a kill.
type proc struct {
	name string
	addr string // --addr of kefu central/edge
	nats bool   // a nats-server, not kefu
	args []string
	env  []string
	log  string
	cmd  *exec.Cmd
}

func (c *cluster) addr() string { return "127.0.0.1:" + strconv.Itoa(freePort(c.t)) }

func (c *cluster) proc(name string, isNATS bool, args ...string) *proc {
	p := &proc{name: name, nats: isNATS, args: args, log: filepath.Join(c.t.TempDir(), name+".log")}
	for i, a := range args {
		if a == "--addr" {
			p.addr = args[i+1]
		}
	}
	return p
}

// startNATS writes three configurations from deploy/compose/nats.conf
// (hosts, ports and the store folder rewritten for one machine) and starts
// the three servers; it returns once JetStream answers in the cluster.
func (c *cluster) startNATS() {
	t := c.t
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "compose", "nats.conf"))
	if err != nil {
		t.Fatal(err)
	}
	conf := string(b)
	users, err := os.ReadFile(filepath.Join("..", "..", "deploy", "compose", "nats-users.conf"))
	if err != nil {
		t.Fatal(err)
	}
	type ports struct{ client, cluster, leaf int }
	var ps [3]ports
	for i := range ps {
		ps[i] = ports{freePort(t), freePort(t), freePort(t)}
		c.clientURLs = append(c.clientURLs, fmt.Sprintf("nats://127.0.0.1:%d", ps[i].client))
		c.leafURLs = append(c.leafURLs, fmt.Sprintf("nats://127.0.0.1:%d", ps[i].leaf))
	}
	for i := range ps {
		name := fmt.Sprintf("nats%d", i+1)
		dir := t.TempDir()
		repl := []string{
			"listen: 0.0.0.0:4222", fmt.Sprintf("listen: 127.0.0.1:%d", ps[i].client),
			"http: 0.0.0.0:8222", "",
			"store_dir: /data", "store_dir: " + strconv.Quote(filepath.Join(dir, "js")),
			"listen: 0.0.0.0:6222", fmt.Sprintf("listen: 127.0.0.1:%d", ps[i].cluster),
			"listen: 0.0.0.0:7422", fmt.Sprintf("listen: 127.0.0.1:%d", ps[i].leaf),
		}
		for j := range ps {
			repl = append(repl, fmt.Sprintf("nats://nats%d:6222", j+1), fmt.Sprintf("nats://127.0.0.1:%d", ps[j].cluster))
		}
		out := conf
		for k := 0; k < len(repl); k += 2 {
			if !strings.Contains(out, repl[k]) {
				t.Fatalf("deploy/compose/nats.conf has no %q: update this test with the file", repl[k])
			}
			out = strings.ReplaceAll(out, repl[k], repl[k+1])
		}
		file := filepath.Join(dir, "nats.conf")
		if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "nats-users.conf"), users, 0o600); err != nil { // nats.conf includes it
			t.Fatal(err)
		}
		p := c.proc(name, true, "-c", file)
		p.env = []string{"NATS_NAME=" + name, "NATS_CENTRAL_PASSWORD=" + c.centralPassword,
			"LEAF_TOKEN_EU=" + c.leafToken("eu"), "LEAF_TOKEN_US=" + c.leafToken("us")}
		c.nats = append(c.nats, p)
		c.natsNames = append(c.natsNames, name)
		c.start(p)
	}
	nc := c.connect()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 90*time.Second, func() error {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		info, err := js.AccountInfo(ctx)
		if err != nil {
			return fmt.Errorf("JetStream of the NATS cluster: %w", err)
		}
		if info.Domain != "central" {
			return fmt.Errorf("JetStream domain %q, want central", info.Domain)
		}
		return nil
	})
}

// connect opens a connection to the NATS cluster as central's user.
func (c *cluster) connect() *nats.Conn {
	c.t.Helper()
	nc, err := nats.Connect(strings.Join(c.clientURLs, ","), nats.UserInfo("central", c.centralPassword),
		nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond), nats.RetryOnFailedConnect(true))
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(nc.Close)
	return nc
}

// start runs p (again): this test binary as nats-server or kefu. Its log
// is appended to p.log; the first start registers the cleanup.
func (c *cluster) start(p *proc) {
	t := c.t
	t.Helper()
	logf, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(os.Args[0], p.args...)
	cmd.Env = append(os.Environ(), p.env...)
	if p.nats {
		cmd.Env = append(cmd.Env, "KEFU_TEST_NATS_SERVER=1")
	} else {
		cmd.Env = append(cmd.Env, "KEFU_TEST_MAIN=1")
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	first := p.cmd == nil
	p.cmd = cmd
	if first {
		c.procs = append(c.procs, p)
	}
	c.mu.Unlock()
	if first {
		t.Cleanup(func() {
			c.mu.Lock()
			cmd := p.cmd
			c.mu.Unlock()
			if cmd.ProcessState == nil {
				_ = cmd.Process.Signal(os.Interrupt)
				done := make(chan struct{})
				go func() { _ = cmd.Wait(); close(done) }()
				select {
				case <-done:
				case <-time.After(20 * time.Second):
					_ = cmd.Process.Kill()
					<-done
				}
			}
			if t.Failed() {
				t.Logf("--- %s log (last lines):\n%s", p.name, tailLines(p.log, 40))
			}
		})
	}
}

// kill ends p with SIGKILL, like a crash.
func (c *cluster) kill(p *proc) {
	c.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		c.t.Fatal(err)
	}
	_ = p.cmd.Wait()
	c.t.Logf("killed %s (SIGKILL)", p.name)
}

// waitReady polls p's /readyz until it answers 200.
func (c *cluster) waitReady(p *proc) {
	c.t.Helper()
	waitHealthy(c.t, p.addr)
	poll.Until(c.t, 90*time.Second, func() error {
		resp, err := httpGet("http://" + p.addr + "/readyz")
		if err != nil {
			return fmt.Errorf("%s not ready: %w", p.name, err)
		}
		if resp != 200 {
			return fmt.Errorf("%s not ready: status %d", p.name, resp)
		}
		return nil
	})
}

// replicasCurrent checks that KEFU_INBOUND has a leader and two current
// followers.
func (c *cluster) replicasCurrent(js jetstream.JetStream) error {
	info, err := streamInfo(js, chat.StreamInbound)
	if err != nil {
		return err
	}
	if info.Cluster == nil || info.Cluster.Leader == "" {
		return errors.New("KEFU_INBOUND has no leader")
	}
	current := 0
	for _, r := range info.Cluster.Replicas {
		if r.Current && !r.Offline {
			current++
		}
	}
	if current != 2 {
		return fmt.Errorf("KEFU_INBOUND: leader %s and %d current followers, want 2", info.Cluster.Leader, current)
	}
	return nil
}

func streamInfo(js jetstream.JetStream, name string) (*jetstream.StreamInfo, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", name, err)
	}
	return st.Info(ctx)
}

// shoppers is the load: shoppers chatting on the edges.
type shoppers struct {
	mu   sync.Mutex
	all  []*shopper
	done sync.WaitGroup
}

func (l *shoppers) add(s *shopper) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = append(l.all, s)
	l.done.Add(1)
	s.done = l.done.Done
}

func (l *shoppers) list() []*shopper {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.all)
}

func (l *shoppers) wait() { l.done.Wait() }

func (l *shoppers) accepted() (n int) {
	for _, s := range l.list() {
		s.mu.Lock()
		n += len(s.accepted)
		s.mu.Unlock()
	}
	return n
}

// answered counts accepted messages with at least one reply.
func (l *shoppers) answered() (n int) {
	for _, s := range l.list() {
		s.mu.Lock()
		for id := range s.accepted {
			if len(s.replies[id]) > 0 {
				n++
			}
		}
		s.mu.Unlock()
	}
	return n
}

// questions the demo FAQ answers (no handoff, no fallback).
var questions = []string{"What is your return policy?", "How long does shipping take?", "How much is shipping?", "Do you ship internationally?"}

// shopper chats like the widget: a new message every interval, each
// resent with its id until accepted, replies acknowledged, and after a
// lost socket a reconnect that resumes the conversation after the last
// reply and resends what was not accepted.
type shopper struct {
	name, region, addr, visitor string
	done                        func()

	mu        sync.Mutex
	conv      string
	connected bool
	sent      []chat.Frame
	sentIDs   map[string]bool
	accepted  map[string]bool
	replies   map[string]map[string]bool // message id → reply ids
	convs     map[string]bool            // every conversation id the edges named
	lastReply string
	errs      []string
}

func (s *shopper) isConnected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connected
}

func (s *shopper) unanswered() (n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.accepted {
		if len(s.replies[id]) == 0 {
			n++
		}
	}
	return n
}

func (s *shopper) fail(format string, args ...any) {
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
}

// see records a frame (s.mu held).
func (s *shopper) see(f chat.Frame) {
	if f.ConversationID != "" {
		s.convs[f.ConversationID] = true
	}
	switch {
	case f.Type == chat.FrameAccepted:
		if s.sentIDs[f.ID] {
			s.accepted[f.ID] = true
		}
	case f.Type == chat.FrameMessage && f.ReplyTo != "" && f.Role != chat.RoleShopper:
		if s.replies[f.ReplyTo] == nil {
			s.replies[f.ReplyTo] = map[string]bool{}
		}
		s.replies[f.ReplyTo][f.ID] = true
	case f.Type == chat.FrameError && f.Code != chat.CodeUnavailable && f.Code != chat.CodeRateLimited:
		s.fail("error frame %s %s for %s", f.Code, f.Reason, f.ID)
	}
}

func (s *shopper) run(ctx context.Context) {
	defer s.done()
	s.sentIDs = map[string]bool{}
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		if err := s.session(ctx); err != nil {
			time.Sleep(backoff)
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
	}
}

// hello dials the edge and resumes the shopper's conversation (after
// resumeAfter; "" replays it all); it returns the socket after welcome.
func (s *shopper) hello(resumeAfter string) (*websocket.Conn, error) {
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+s.addr+"/ws?site=demo", nil)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	conv := s.conv
	s.mu.Unlock()
	if err := ws.WriteJSON(chat.Frame{Type: chat.FrameHello, V: 1, Visitor: s.visitor, ConversationID: conv, ResumeAfter: resumeAfter}); err != nil {
		ws.Close()
		return nil, err
	}
	_ = ws.SetReadDeadline(time.Now().Add(poll.Scale(30 * time.Second)))
	for {
		var f chat.Frame
		if err := ws.ReadJSON(&f); err != nil {
			ws.Close()
			return nil, err
		}
		switch f.Type {
		case chat.FrameWelcome:
			s.mu.Lock()
			if s.conv == "" {
				s.conv = f.ConversationID
			}
			s.convs[f.ConversationID] = true
			if f.ConversationID != s.conv || f.Reason != "" {
				s.fail("welcome %s (%s), want conversation %s", f.ConversationID, f.Reason, s.conv)
			}
			s.mu.Unlock()
			_ = ws.SetReadDeadline(time.Time{})
			return ws, nil
		case chat.FrameError: // resume_unavailable: the edge closes, try again
			ws.Close()
			return nil, fmt.Errorf("hello: %s %s", f.Code, f.Reason)
		}
	}
}

// session is one socket: resume, resend what was not accepted, then send
// a new message every 800 ms until ctx ends or the socket breaks.
func (s *shopper) session(ctx context.Context) error {
	s.mu.Lock()
	last := s.lastReply
	s.mu.Unlock()
	ws, err := s.hello(last)
	if err != nil {
		return err
	}
	defer ws.Close()
	var wmu sync.Mutex
	write := func(f chat.Frame) error {
		wmu.Lock()
		defer wmu.Unlock()
		_ = ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
		return ws.WriteJSON(f)
	}
	s.mu.Lock()
	s.connected = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.connected = false
		s.mu.Unlock()
	}()
	readErr := make(chan error, 1)
	go func() {
		for {
			var f chat.Frame
			if err := ws.ReadJSON(&f); err != nil {
				readErr <- err
				return
			}
			s.mu.Lock()
			s.see(f)
			isReply := f.Type == chat.FrameMessage && f.ReplyTo != "" && f.Role != chat.RoleShopper
			if isReply {
				s.lastReply = f.ID
			}
			s.mu.Unlock()
			if f.Type == chat.FrameMessage {
				_ = write(chat.Frame{Type: chat.FrameAck, ID: f.ID})
			}
		}
	}()
	resend := func() error {
		s.mu.Lock()
		var todo []chat.Frame
		for _, m := range s.sent {
			if !s.accepted[m.ID] {
				todo = append(todo, m)
			}
		}
		s.mu.Unlock()
		for _, m := range todo {
			if err := write(m); err != nil {
				return err
			}
		}
		return nil
	}
	if err := resend(); err != nil {
		return err
	}
	tick := time.NewTicker(800 * time.Millisecond)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return nil
		case err := <-readErr:
			return err
		case <-tick.C:
		}
		s.mu.Lock()
		m := chat.Frame{Type: chat.FrameMessage, ID: chat.NewID(), Text: questions[len(s.sent)%len(questions)], Lang: "en"}
		s.sent = append(s.sent, m)
		s.sentIDs[m.ID] = true
		s.mu.Unlock()
		if err := write(m); err != nil {
			return err
		}
		if n%5 == 4 { // unavailable or lost frames: resend the unaccepted (same ids)
			if err := resend(); err != nil {
				return err
			}
		}
	}
}

// replay opens a new socket that resumes the whole conversation, records
// every reply of the replay and ends with a probe message: its reply comes
// after the replay, so the replay is complete when it arrives. The probe
// counts like any message.
func (s *shopper) replay() error {
	ws, err := s.hello("")
	if err != nil {
		return fmt.Errorf("%s replay: %w", s.name, err)
	}
	defer ws.Close()
	probe := chat.Frame{Type: chat.FrameMessage, ID: chat.NewID(), Text: questions[0], Lang: "en"}
	s.mu.Lock()
	s.sent = append(s.sent, probe)
	s.sentIDs[probe.ID] = true
	s.mu.Unlock()
	if err := ws.WriteJSON(probe); err != nil {
		return err
	}
	deadline := time.Now().Add(poll.Scale(30 * time.Second))
	_ = ws.SetReadDeadline(deadline)
	for {
		var f chat.Frame
		if err := ws.ReadJSON(&f); err != nil {
			return fmt.Errorf("%s replay: %w", s.name, err)
		}
		s.mu.Lock()
		s.see(f)
		s.mu.Unlock()
		switch {
		case f.Type == chat.FrameError && f.ID == probe.ID && f.Code == chat.CodeUnavailable:
			if err := ws.WriteJSON(probe); err != nil {
				return err
			}
		case f.Type == chat.FrameMessage && f.ReplyTo == probe.ID:
			return nil
		}
	}
}

// testPostgres returns a DSN whose search_path is a new schema of the test
// server (KEFU_TEST_POSTGRES_DSN, else scripts/pg-start.sh starts one, as
// `make test` does), dropped at the end.
func testPostgres(t *testing.T) string {
	t.Helper()
	base := os.Getenv("KEFU_TEST_POSTGRES_DSN")
	if base == "" {
		out, err := exec.Command("bash", filepath.Join("..", "..", "scripts", "pg-start.sh")).Output()
		if err != nil {
			t.Fatalf("scripts/pg-start.sh: %v", err)
		}
		base = strings.TrimSpace(string(out))
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "kefu_cluster_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("postgres for tests: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err == nil {
			_, _ = db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			db.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// tailLines is the last n lines of a file.
func tailLines(file string, n int) string {
	f, err := os.Open(file)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// spanCollector is an OTLP/HTTP JSON receiver stand-in that keeps each
// span's name and parent by trace and span id.
type spanCollector struct {
	mu      sync.Mutex
	parents map[string]string // trace/span → trace/parent
	names   map[string]string // trace/span → name
}

func (c *spanCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ResourceSpans []struct {
			ScopeSpans []struct {
				Spans []struct{ TraceID, SpanID, ParentSpanID, Name string }
			}
		}
	}
	if r.URL.Path != "/v1/traces" || json.NewDecoder(r.Body).Decode(&req) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				c.names[sp.TraceID+"/"+sp.SpanID] = sp.Name
				c.parents[sp.TraceID+"/"+sp.SpanID] = sp.TraceID + "/" + sp.ParentSpanID
			}
		}
	}
	_, _ = w.Write([]byte("{}"))
}

// linked reports whether the trace of message id has a central.process
// span whose parent is a nats.publish span.
func (c *spanCollector) linked(id string) bool {
	tid := tracing.MessageTraceID(id)
	prefix := hex.EncodeToString(tid[:]) + "/"
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, name := range c.names {
		if strings.HasPrefix(k, prefix) && name == "central.process" && c.names[c.parents[k]] == "nats.publish" {
			return true
		}
	}
	return false
}

// httpGet is the status of a GET of u.
func httpGet(u string) (int, error) {
	resp, err := http.Get(u)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
