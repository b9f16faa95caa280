package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kefu-io/kefu/central/demo"
	"github.com/kefu-io/kefu/central/store"
)

func init() {
	register("demo", "seed or remove the synthetic demo history of the reports (kefu demo seed|remove)", runDemo)
}

func runDemo(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "seed" && args[0] != "remove") {
		fmt.Fprintln(stderr, "usage: kefu demo seed|remove [--data ./data | --postgres DSN] [--tenant demo] [--days 90]")
		return 2
	}
	fs := flag.NewFlagSet("kefu demo "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./data", "data folder of kefu dev / kefu central (SQLite)")
	pg := fs.String("postgres", os.Getenv("KEFU_POSTGRES"), "PostgreSQL DSN (default $KEFU_POSTGRES; empty: SQLite under --data)")
	tenant := fs.String("tenant", "demo", "tenant")
	days := fs.Int("days", 90, "days of history (seed)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	var st store.Store
	var err error
	if *pg != "" {
		st, err = store.OpenPostgres(ctx, *pg)
	} else {
		st, err = store.OpenSQLite(ctx, filepath.Join(*data, "kefu.db"))
	}
	if err != nil {
		return fail(stderr, err)
	}
	defer st.Close()
	if args[0] == "remove" {
		n, err := st.DeleteDemo(ctx, *tenant)
		if err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "removed the demo history of %s: %d conversations with their messages, orders, browser answers and demo agents\n", *tenant, n)
		return 0
	}
	if _, err := st.AgentByEmail(ctx, *tenant, "demo-agent-1"+demo.AgentEmailDomain); err == nil {
		fmt.Fprintf(stderr, "kefu demo seed: %s already has demo history; run kefu demo remove first\n", *tenant)
		return 1
	}
	start := time.Now()
	res, err := demo.Seed(ctx, st, demo.Options{Tenant: *tenant, Days: *days})
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "seeded %d days for %s: %d conversations, %d messages, %d orders, %d browser answers, %d proactive notices of delayed orders (%s)\n",
		*days, *tenant, res.Conversations, res.Messages, res.Orders, res.Hits, res.Notices, time.Since(start).Round(time.Millisecond))
	return 0
}
