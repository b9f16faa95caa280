package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx" for the bench schema
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"github.com/kefu-io/kefu/central"
	"github.com/kefu-io/kefu/central/demo"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/natsembed"
	"github.com/kefu-io/kefu/internal/quantile"
)

func init() {
	register("analytics", "summary and time-series latency over ~1,000,000 messages on SQLite and PostgreSQL (goal p99 ≤ 200 ms)", runAnalyticsBench)
	register("alerts", "staff alert latency: shopper message on JetStream → central → the robot's HTTP request (goal ≤ 1 s)", runAlertBench)
}

const benchTenant = "bench"

// benchCentral is a central service over st on an embedded NATS, with its
// REST API served in-process, logged in as an agent.
type benchCentral struct {
	ns    *natsembed.Server
	nc    *nats.Conn
	svc   *central.Service
	app   *fiber.App
	token string
}

func startBenchCentral(ctx context.Context, st store.Store, dir string, settings central.SettingsReader) (*benchCentral, error) {
	ns, err := natsembed.Start(natsembed.Options{StoreDir: filepath.Join(dir, "nats")})
	if err != nil {
		return nil, err
	}
	b := &benchCentral{ns: ns}
	if b.nc, err = ns.Connect("bench"); err != nil {
		b.close()
		return nil, err
	}
	hash, _ := bcrypt.GenerateFromPassword([]byte("bench-password-1"), bcrypt.MinCost)
	b.svc, err = central.New(ctx, central.Config{NATS: b.nc, Store: st, DemoTenant: benchTenant, NoShippedModels: true,
		Settings: settings, Logger: slog.New(slog.DiscardHandler), BcryptCost: bcrypt.MinCost})
	if err != nil {
		b.close()
		return nil, err
	}
	if _, err := st.PutAgent(ctx, store.Agent{Tenant: benchTenant, Email: "bench@bench.kefu", Name: "Bench", PasswordHash: string(hash)}); err != nil {
		b.close()
		return nil, err
	}
	b.app = fiber.New(fiber.Config{DisableStartupMessage: true})
	b.svc.Register(b.app)
	var login struct {
		Token string `json:"token"`
	}
	code, body, err := b.do("POST", "/v1/login", `{"tenant":"bench","email":"bench@bench.kefu","password":"bench-password-1"}`)
	if err != nil || code != 200 || json.Unmarshal(body, &login) != nil {
		b.close()
		return nil, fmt.Errorf("login: %d %s %v", code, body, err)
	}
	b.token = login.Token
	return b, nil
}

func (b *benchCentral) do(method, path, body string) (int, []byte, error) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if b.token != "" {
		req.Header.Set("Authorization", "Bearer "+b.token)
	}
	res, err := b.app.Test(req, 60_000)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	return res.StatusCode, data, err
}

func (b *benchCentral) close() {
	if b.svc != nil {
		b.svc.Close()
	}
	if b.nc != nil {
		b.nc.Close()
	}
	b.ns.Shutdown()
}

func runAnalyticsBench(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kefu bench analytics", flag.ContinueOnError)
	fs.SetOutput(stderr)
	messages := fs.Int("messages", 1_000_000, "messages to generate (about 5.4 per conversation, over 90 days)")
	n := fs.Int("n", 40, "requests per query")
	pg := fs.String("postgres", firstNonEmpty(os.Getenv("KEFU_TEST_POSTGRES_DSN"), os.Getenv("KEFU_POSTGRES")), "PostgreSQL DSN (default $KEFU_TEST_POSTGRES_DSN or $KEFU_POSTGRES; empty: SQLite only)")
	dir := fs.String("dir", "", "folder for the SQLite file (default a temporary one, removed)")
	stores := fs.String("stores", "sqlite,postgres", "stores to measure, comma-separated")
	pgDB := fs.String("pg-db", "", "PostgreSQL database to use, created when missing and kept; history already seeded there is reused (default a new database, dropped at the end)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	want := map[string]bool{}
	for _, name := range strings.Split(*stores, ",") {
		switch name = strings.TrimSpace(name); name {
		case "sqlite", "postgres":
			want[name] = true
		default:
			fmt.Fprintf(stderr, "kefu bench analytics: unknown store %q (sqlite, postgres)\n", name)
			return 2
		}
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "kefu-bench-analytics-")
		if err != nil {
			return fail(stderr, err)
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	var cleanups []func()
	defer func() {
		for _, f := range cleanups {
			f()
		}
	}()
	type backend struct {
		name string
		open func() (store.Store, error)
	}
	var backends []backend
	if want["sqlite"] {
		backends = append(backends, backend{"sqlite", func() (store.Store, error) { return store.OpenSQLite(ctx, filepath.Join(*dir, "kefu.db")) }})
	}
	if want["postgres"] && *pg != "" {
		backends = append(backends, backend{"postgres", func() (store.Store, error) {
			st, drop, err := openBenchDatabase(ctx, *pg, *pgDB)
			if err == nil && drop != nil {
				cleanups = append(cleanups, drop)
			}
			return st, err
		}})
	} else if want["postgres"] {
		fmt.Fprintln(stderr, "kefu bench analytics: no PostgreSQL DSN: SQLite only")
	}
	end := time.Now().UTC().Truncate(time.Hour)
	perDay := float64(*messages) / 90 / 5.4 / 1.06 // demo.Rate's weekly and trend factors average ~1.06
	fmt.Fprintf(stdout, "kefu bench analytics: %d messages wanted, %d requests per query, GOMAXPROCS shared machine (compare within one run)\n\n", *messages, *n)
	fmt.Fprintf(stdout, "%-9s %-44s %9s %9s %9s\n", "store", "query", "p50", "p99", "max")
	for _, be := range backends {
		st, err := be.open()
		if err != nil {
			return fail(stderr, fmt.Errorf("%s: %w", be.name, err))
		}
		bc, err := startBenchCentral(ctx, st, filepath.Join(*dir, be.name), nil)
		if err != nil {
			st.Close()
			return fail(stderr, err)
		}
		// Seeded through central, as kefu dev does: the history carries its
		// facts and the watermark is set, so no request recomputes it.
		t0 := time.Now()
		res, seeded, err := bc.svc.SeedDemo(ctx, demo.Options{Tenant: benchTenant, Days: 90, End: end, PerDay: perDay, Seed: 42})
		if err != nil {
			bc.close()
			st.Close()
			return fail(stderr, fmt.Errorf("%s: seed: %w", be.name, err))
		}
		if !seeded {
			fmt.Fprintf(stderr, "%s: the demo history of an earlier run is reused\n", be.name)
		}
		fmt.Fprintf(stderr, "%s: seeded %d conversations, %d messages, %d orders, %d browser answers in %s\n", be.name, res.Conversations, res.Messages,
			res.Orders, res.Hits, time.Since(t0).Round(time.Second))
		qs := func(days int, extra ...string) string {
			v := url.Values{"from": {end.Add(-time.Duration(days) * 24 * time.Hour).Format(time.RFC3339)}, "to": {end.Format(time.RFC3339)}}
			for i := 0; i+1 < len(extra); i += 2 {
				v.Set(extra[i], extra[i+1])
			}
			return v.Encode()
		}
		queries := []struct{ name, path string }{
			{"summary, 7 days", "/v1/analytics/summary?" + qs(7)},
			{"summary, 30 days", "/v1/analytics/summary?" + qs(30)},
			{"summary, 90 days", "/v1/analytics/summary?" + qs(90)},
			{"summary, 30 days, channel=wechat", "/v1/analytics/summary?" + qs(30, "channel", "wechat")},
			{"timeseries frt_p90_s by hour, 7 days", "/v1/analytics/timeseries?" + qs(7, "metric", "frt_p90_s", "interval", "hour")},
			{"timeseries conversations by day, 30 days", "/v1/analytics/timeseries?" + qs(30, "metric", "conversations", "interval", "day")},
			{"timeseries deflection_rate by day, 90 days", "/v1/analytics/timeseries?" + qs(90, "metric", "deflection_rate", "interval", "day")},
		}
		// The first request computes nothing new (the history carries its
		// facts) but warms the caches; it is not counted.
		if code, body, err := bc.do("GET", queries[0].path, ""); err != nil || code != 200 {
			bc.close()
			st.Close()
			return fail(stderr, fmt.Errorf("%s: warm-up: %d %s %v", be.name, code, body, err))
		}
		for _, q := range queries {
			var ds []time.Duration
			var failed error
			for range *n {
				t := time.Now()
				code, body, err := bc.do("GET", q.path, "")
				ds = append(ds, time.Since(t))
				if err != nil || code != 200 {
					failed = fmt.Errorf("%d %.200s %v", code, body, err)
					break
				}
			}
			if failed != nil {
				// A query over the request timeout is a result, not the end of the run.
				fmt.Fprintf(stdout, "%-9s %-44s failed after %s: %v\n", be.name, q.name, ds[len(ds)-1].Round(time.Millisecond), failed)
				continue
			}
			fmt.Fprintf(stdout, "%-9s %-44s %9s %9s %9s\n", be.name, q.name, quantile.Of(ds, 0.50).Round(time.Millisecond/10), quantile.Of(ds, 0.99).Round(time.Millisecond/10), slices.Max(ds).Round(time.Millisecond/10))
		}
		fmt.Fprintf(stdout, "%-9s (%d conversations, %d messages over 90 days)\n\n", be.name, res.Conversations, res.Messages)
		bc.close()
		st.Close()
	}
	return 0
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

func fail(w io.Writer, err error) int {
	fmt.Fprintln(w, "kefu bench:", err)
	return 1
}

// openBenchDatabase opens PostgreSQL in a database of its own on the
// server of dsn, so a run never touches other data: name, created when
// missing and kept, or a new one that drop removes.
func openBenchDatabase(ctx context.Context, dsn, name string) (st store.Store, drop func(), err error) {
	keep := name != ""
	if !keep {
		name = fmt.Sprintf("kefu_bench_%d", time.Now().UnixNano())
	}
	if !pgIdent(name) {
		return nil, nil, fmt.Errorf("database name %q: use lower-case letters, digits and _", name)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, nil, err
	}
	var exists bool
	if err := queryPG(ctx, dsn, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, []any{name}, &exists); err != nil {
		return nil, nil, err
	}
	if !exists {
		if err := execPG(ctx, dsn, "CREATE DATABASE "+name); err != nil {
			return nil, nil, err
		}
	}
	if keep {
		fmt.Fprintf(os.Stderr, "postgres: database %s (kept; drop it with DROP DATABASE %s)\n", name, name)
	} else {
		drop = func() {
			if err := execPG(context.Background(), dsn, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
				fmt.Fprintf(os.Stderr, "postgres: drop database %s: %v\n", name, err)
			}
		}
	}
	u.Path = "/" + name
	st, err = store.OpenPostgres(ctx, u.String())
	if err != nil {
		if drop != nil {
			drop()
		}
		return nil, nil, err
	}
	return st, drop, nil
}

func pgIdent(s string) bool {
	for i, c := range s {
		if !(c >= 'a' && c <= 'z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != "" && len(s) <= 63
}

func queryPG(ctx context.Context, dsn, q string, args []any, dest ...any) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.QueryRowContext(ctx, q, args...).Scan(dest...)
}

// ---- alerts ----

func runAlertBench(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kefu bench alerts", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 200, "alerts (one per conversation)")
	gap := fs.Duration("gap", 20*time.Millisecond, "time between shopper messages")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	dir, err := os.MkdirTemp("", "kefu-bench-alerts-")
	if err != nil {
		return fail(stderr, err)
	}
	defer os.RemoveAll(dir)
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "kefu.db"))
	if err != nil {
		return fail(stderr, err)
	}
	defer st.Close()
	// A WeCom robot stand-in: records when each alert's request arrives.
	var mu sync.Mutex
	arrived := map[string]time.Time{}
	robot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		var body struct {
			Markdown struct {
				Content string `json:"content"`
			} `json:"markdown"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		if i := strings.Index(body.Markdown.Content, "#c="); i >= 0 {
			id := body.Markdown.Content[i+3:]
			if j := strings.IndexAny(id, ")\n"); j >= 0 {
				id = id[:j]
			}
			mu.Lock()
			arrived[id] = now
			mu.Unlock()
		}
		_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	defer robot.Close()
	settings := staticSettings{central.SettingAlertWeCom: robot.URL + "/cgi-bin/webhook/send?key=bench", central.SettingAlertConsoleURL: "http://127.0.0.1/console/#c="}
	bc, err := startBenchCentral(ctx, st, dir, settings)
	if err != nil {
		return fail(stderr, err)
	}
	defer bc.close()
	js, err := jetstream.New(bc.nc)
	if err != nil {
		return fail(stderr, err)
	}
	sent := map[string]time.Time{}
	convs := make([]string, *n)
	for i := range *n {
		conv := chat.NewID()
		convs[i] = conv
		at := time.Now()
		env := chat.Envelope{V: chat.ProtocolVersion, Tenant: benchTenant, Region: "cn", Channel: chat.ChannelWeb, Visitor: fmt.Sprintf("v%d", i),
			Direction: chat.Inbound, Labels: map[string]string{"alert": "投诉"},
			Message: chat.Message{ID: chat.NewID(), ConversationID: conv, Role: chat.RoleShopper, Text: "再不退款我就去12315投诉", Lang: "zh", At: at}}
		data, _ := json.Marshal(env)
		m := nats.NewMsg(chat.InboundSubject(benchTenant))
		m.Data = data
		m.Header.Set(nats.MsgIdHdr, env.Message.ID)
		sent[conv] = at
		if _, err := js.PublishMsg(ctx, m); err != nil {
			return fail(stderr, err)
		}
		time.Sleep(*gap)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		got := len(arrived)
		mu.Unlock()
		if got >= *n || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	var ds []time.Duration
	for _, c := range convs {
		if t, ok := arrived[c]; ok {
			ds = append(ds, t.Sub(sent[c]))
		}
	}
	if len(ds) == 0 {
		return fail(stderr, fmt.Errorf("no alert arrived"))
	}
	within := 0
	for _, d := range ds {
		if d <= time.Second {
			within++
		}
	}
	fmt.Fprintf(stdout, "kefu bench alerts: %d shopper messages with a watched word, one every %s, published to JetStream as the edge does\n", *n, *gap)
	fmt.Fprintf(stdout, "message born → WeCom robot stand-in receives the HTTP request (central, SQLite, embedded NATS, one process)\n")
	fmt.Fprintf(stdout, "arrived %d/%d   p50 %s   p90 %s   p99 %s   max %s   within 1 s: %.1f%%\n", len(ds), *n,
		quantile.Of(ds, 0.50).Round(time.Millisecond/10), quantile.Of(ds, 0.90).Round(time.Millisecond/10), quantile.Of(ds, 0.99).Round(time.Millisecond/10),
		slices.Max(ds).Round(time.Millisecond/10), 100*float64(within)/float64(len(ds)))
	return 0
}

// staticSettings is a central.SettingsReader with fixed values.
type staticSettings map[string]string

func (s staticSettings) Setting(_ context.Context, _, key string) (string, error) { return s[key], nil }

func execPG(ctx context.Context, dsn, stmt string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, stmt)
	return err
}
