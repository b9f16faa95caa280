// Package queuebench is `kefu bench central`: the human queue's operations
// with thousands of conversations waiting, on SQLite and PostgreSQL, through
// a real central service on an embedded NATS server.
//
// For each store it
//
//  1. enqueues --n conversations at the store (SaveInbound + Handoff, the
//     two transactions a handoff costs): ops/s and p99;
//  2. hands off --e2e more through the whole path (JetStream publish of
//     "转人工" → central consumes, stores, routes, queues → the
//     conversation.handoff event): ops/s and p99 of that latency;
//  3. takes --takes conversations with POST /v1/queue/next (the database
//     ranks the queue by the priority computed now and claims the best in
//     one transaction, store.QueueStore): ops/s and p99;
//  4. after each of --claims more claims, waits for the queue.position
//     events of every conversation still waiting (each moved up by one):
//     the fan-out time (claim answered → last event), events/s, and the
//     shopper's position-update latency (claim answered → the event of one
//     conversation) p50/p99 over all of them.
//
// Numbers depend on the machine; compare stores within one run.
package queuebench

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx" for the bench schema
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"github.com/kefu-io/kefu/central"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/natsembed"
	"github.com/kefu-io/kefu/internal/quantile"
)

// Result is one store's measurements.
type Result struct {
	Store string
	N     int

	EnqueueOps float64
	EnqueueP99 time.Duration

	E2EOps float64
	E2EP99 time.Duration

	TakeOps float64
	TakeP99 time.Duration

	FanoutEvents  int
	FanoutTime    time.Duration // mean over claims: claim answered → last event
	FanoutEPS     float64
	PositionP50   time.Duration
	PositionP99   time.Duration
	PositionCount int
}

// Main runs the bench with command-line args; it returns the exit code.
func Main(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kefu bench central", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 10000, "conversations waiting in the queue")
	takes := fs.Int("takes", 100, "take-next calls measured")
	claims := fs.Int("claims", 3, "claims whose position fan-out is measured")
	e2e := fs.Int("e2e", 100, "handoffs measured through JetStream and central")
	pg := fs.String("postgres", os.Getenv("KEFU_TEST_POSTGRES_DSN"), `PostgreSQL DSN (a schema is created and dropped); "" skips PostgreSQL`)
	stores := fs.String("stores", "sqlite,postgres", "stores to measure")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(stderr, "kefu bench central:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "kefu bench central:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	if *n < 10 || *takes < 1 || *claims < 1 {
		fmt.Fprintln(stderr, "kefu bench central: --n must be at least 10, --takes and --claims at least 1")
		return 2
	}
	var results []Result
	for _, name := range strings.Split(*stores, ",") {
		name = strings.TrimSpace(name)
		if name == "postgres" && *pg == "" {
			fmt.Fprintln(stderr, "postgres: skipped (no --postgres DSN and no KEFU_TEST_POSTGRES_DSN)")
			continue
		}
		fmt.Fprintf(stderr, "%s: enqueueing %d conversations…\n", name, *n)
		r, err := runStore(ctx, name, *pg, *n, *takes, *claims, *e2e, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "kefu bench central: %s: %v\n", name, err)
			return 1
		}
		results = append(results, r)
	}
	Print(stdout, results)
	return 0
}

// Print writes the results as a Markdown table.
func Print(w io.Writer, rs []Result) {
	tw := w
	fmt.Fprintln(tw, "| store | waiting | enqueue (store) ops/s | p99 | handoff via NATS ops/s | p99 | take-next ops/s | p99 | position events per claim | fan-out time | events/s | position update p50 | p99 |")
	fmt.Fprintln(tw, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, r := range rs {
		fmt.Fprintf(tw, "| %s | %d | %.0f | %s | %.0f | %s | %.1f | %s | %d | %s | %.0f | %s | %s |\n", r.Store, r.N,
			r.EnqueueOps, ms(r.EnqueueP99), r.E2EOps, ms(r.E2EP99), r.TakeOps, ms(r.TakeP99),
			r.FanoutEvents, ms(r.FanoutTime), r.FanoutEPS, ms(r.PositionP50), ms(r.PositionP99))
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// pgSchema creates a fresh schema and returns a DSN that uses it and a
// function that drops it.
func pgSchema(ctx context.Context, dsn string) (string, func(), error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "kefu_bench_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		db.Close()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func() {
		_, _ = db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		db.Close()
	}, nil
}

func runStore(ctx context.Context, name, pgDSN string, n, takes, claims, e2e int, log io.Writer) (Result, error) {
	res := Result{Store: name, N: n}
	dir, err := os.MkdirTemp("", "kefu-bench-central-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	var st store.Store
	switch name {
	case "sqlite":
		st, err = store.OpenSQLite(ctx, dir+"/kefu.db")
	case "postgres":
		dsn, drop, err2 := pgSchema(ctx, pgDSN)
		if err2 != nil {
			return res, err2
		}
		defer drop()
		st, err = store.OpenPostgres(ctx, dsn)
	default:
		return res, fmt.Errorf("unknown store %q (sqlite, postgres)", name)
	}
	if err != nil {
		return res, err
	}
	defer st.Close()

	ns, err := natsembed.Start(natsembed.Options{StoreDir: dir + "/nats", NoListen: true})
	if err != nil {
		return res, err
	}
	defer ns.Shutdown()
	nc, err := ns.Connect("bench")
	if err != nil {
		return res, err
	}
	defer nc.Close()

	// 1. Enqueue at the store.
	const tenant = "demo"
	if err := st.PutTenant(ctx, store.Tenant{ID: tenant, Name: "bench"}); err != nil {
		return res, err
	}
	lat := make([]time.Duration, 0, n)
	start := time.Now()
	base := time.Now().Add(-time.Minute)
	for i := range n {
		t0 := time.Now()
		conv := fmt.Sprintf("q%06d", i)
		m := chat.Message{ID: "m" + conv, ConversationID: conv, Role: chat.RoleShopper, Text: "转人工", Lang: "zh",
			Anger: float64(i%10) / 10, At: t0}
		if _, _, _, err := st.SaveInbound(ctx, store.Inbound{Tenant: tenant, Visitor: "v" + conv, Channel: chat.ChannelWeb, Region: "bench", VIP: i%50 == 0, Message: m}); err != nil {
			return res, err
		}
		if _, _, err := st.Handoff(ctx, tenant, conv, 10, "asked", base.Add(time.Duration(i)*time.Millisecond)); err != nil {
			return res, err
		}
		lat = append(lat, time.Since(t0))
	}
	res.EnqueueOps = float64(n) / time.Since(start).Seconds()
	res.EnqueueP99 = quantile.Of(lat, 0.99)

	svc, err := central.New(ctx, central.Config{NATS: nc, Store: st, DataDir: dir, NoShippedModels: true,
		DemoAgentEmail: "agent@bench", DemoAgentPassword: "bench-password", BcryptCost: bcrypt.MinCost,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return res, err
	}
	defer svc.Close()
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	svc.Register(app)
	token, err := login(app)
	if err != nil {
		return res, err
	}

	// Count queue.position events as they arrive (a shopper's view).
	var mu sync.Mutex
	var seen atomic.Int64
	arrived := map[string]time.Time{}
	sub, err := nc.Subscribe(chat.SubjectEventsPrefix+">", func(m *nats.Msg) {
		if !bytes.Contains(m.Data, []byte(`"queue.position"`)) {
			return
		}
		var ev chat.Event
		if json.Unmarshal(m.Data, &ev) != nil {
			return
		}
		now := time.Now()
		mu.Lock()
		arrived[ev.ConversationID] = now
		mu.Unlock()
		seen.Add(1)
	})
	if err != nil {
		return res, err
	}
	defer sub.Unsubscribe()
	sub.SetPendingLimits(-1, -1)

	// Let the first full pass (every conversation's first position) finish.
	fmt.Fprintf(log, "%s: waiting for the first positions of %d conversations…\n", name, n)
	if err := waitFor(60*time.Second, func() bool { return seen.Load() >= int64(n) }); err != nil {
		return res, fmt.Errorf("first positions: %d of %d: %w", seen.Load(), n, err)
	}

	// 2. Handoffs through JetStream and central.
	js, err := jetstream.New(nc)
	if err != nil {
		return res, err
	}
	handed := map[string]chan struct{}{}
	var hmu sync.Mutex
	hsub, err := nc.Subscribe(chat.EventsSubject(tenant), func(m *nats.Msg) {
		if !bytes.Contains(m.Data, []byte(`"conversation.handoff"`)) {
			return
		}
		var ev chat.Event
		if json.Unmarshal(m.Data, &ev) != nil {
			return
		}
		hmu.Lock()
		if c, ok := handed[ev.Visitor]; ok {
			close(c)
			delete(handed, ev.Visitor)
		}
		hmu.Unlock()
	})
	if err != nil {
		return res, err
	}
	lat = lat[:0]
	start = time.Now()
	for i := range e2e {
		visitor := fmt.Sprintf("e2e%05d", i)
		done := make(chan struct{})
		hmu.Lock()
		handed[visitor] = done
		hmu.Unlock()
		env := chat.Envelope{V: 1, Tenant: tenant, Region: "bench", Channel: chat.ChannelWeb, Visitor: visitor, Direction: chat.Inbound,
			Message: chat.Message{ID: chat.NewID(), Role: chat.RoleShopper, Text: "转人工", Lang: "zh", At: time.Now()}}
		data, _ := json.Marshal(env)
		msg := nats.NewMsg(chat.InboundSubject(tenant))
		msg.Data = data
		msg.Header.Set(nats.MsgIdHdr, env.Message.ID)
		t0 := time.Now()
		if _, err := js.PublishMsg(ctx, msg); err != nil {
			return res, err
		}
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			return res, fmt.Errorf("handoff %d not seen", i)
		}
		lat = append(lat, time.Since(t0))
	}
	hsub.Unsubscribe()
	if e2e > 0 {
		res.E2EOps = float64(e2e) / time.Since(start).Seconds()
		res.E2EP99 = quantile.Of(lat, 0.99)
	}
	// Let the positions settle before claiming.
	settle(&seen)

	// 3. Take next.
	lat = lat[:0]
	start = time.Now()
	for range takes {
		t0 := time.Now()
		if err := takeNext(app, token); err != nil {
			return res, err
		}
		lat = append(lat, time.Since(t0))
	}
	res.TakeOps = float64(takes) / time.Since(start).Seconds()
	res.TakeP99 = quantile.Of(lat, 0.99)
	settle(&seen)

	// 4. Position fan-out after a claim.
	var all []time.Duration
	var spans []time.Duration
	for range claims {
		waiting, err := st.QueueDepth(ctx, tenant)
		if err != nil {
			return res, err
		}
		want := waiting - 1
		mu.Lock()
		clear(arrived)
		mu.Unlock()
		before := seen.Load()
		if err := takeNext(app, token); err != nil {
			return res, err
		}
		claimed := time.Now()
		if err := waitFor(60*time.Second, func() bool { return seen.Load()-before >= int64(want) }); err != nil {
			return res, fmt.Errorf("fan-out: %d of %d events: %w", seen.Load()-before, want, err)
		}
		mu.Lock()
		last := claimed
		for _, at := range arrived {
			all = append(all, max(0, at.Sub(claimed)))
			if at.After(last) {
				last = at
			}
		}
		mu.Unlock()
		spans = append(spans, last.Sub(claimed))
		res.FanoutEvents = want
		settle(&seen)
	}
	var sum time.Duration
	for _, s := range spans {
		sum += s
	}
	res.FanoutTime = sum / time.Duration(len(spans))
	if res.FanoutTime > 0 {
		res.FanoutEPS = float64(res.FanoutEvents) / res.FanoutTime.Seconds()
	}
	res.PositionP50, res.PositionP99, res.PositionCount = quantile.Of(all, 0.5), quantile.Of(all, 0.99), len(all)
	return res, nil
}

// settle waits until no queue.position event arrived for 300 ms.
func settle(seen *atomic.Int64) {
	last := seen.Load()
	for range 200 {
		time.Sleep(300 * time.Millisecond)
		now := seen.Load()
		if now == last {
			return
		}
		last = now
	}
}

func waitFor(limit time.Duration, ok func() bool) error {
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s", limit)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return nil
}

func login(app *fiber.App) (string, error) {
	body, _ := json.Marshal(map[string]string{"tenant": "demo", "email": "agent@bench", "password": "bench-password"})
	req := httptest.NewRequest("POST", "/v1/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := app.Test(req, -1)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var r central.LoginReply
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil || r.Token == "" {
		return "", fmt.Errorf("login: HTTP %d: %v", res.StatusCode, err)
	}
	return r.Token, nil
}

func takeNext(app *fiber.App, token string) error {
	req := httptest.NewRequest("POST", "/v1/queue/next", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := app.Test(req, -1)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		return fmt.Errorf("take next: HTTP %d %s", res.StatusCode, b)
	}
	return nil
}
