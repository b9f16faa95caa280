package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/kefu-io/kefu/internal/stack"
	"github.com/kefu-io/kefu/internal/tracing"
)

func init() {
	register("dev", "all-in-one embedded default: NATS, central, edge, demo and console", runDev)
}

func runDev(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kefu dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	data := fs.String("data", "./data", "data folder (SQLite, NATS store, plugin cache, PII vault)")
	email := fs.String("agent-email", "agent@demo.kefu", "demo agent login")
	password := fs.String("agent-password", "", "demo agent password (default: random, printed)")
	verbose := fs.Bool("v", false, "debug logs")
	var chf channelFlags
	chf.bind(fs)
	maxConns := fs.Int("max-conns", 0, "cap on open WebSocket connections (503 edge_full past it); 0: derived from RLIMIT_NOFILE with headroom, which also bounds a higher value")
	maxConnsPerIP := fs.Int("max-conns-per-ip", 1000, "cap on open WebSocket connections from one address (429 past it); negative: none")
	pprofAddr := fs.String("pprof-addr", "", pprofHelp)
	otlp := fs.String("otlp-endpoint", tracing.EndpointFromEnv(), otlpHelp)
	demoDays := fs.Int("demo-history", 90, "days of synthetic demo history to seed once for the reports (0: none; remove with kefu demo remove)")
	pluginCache := fs.String("plugin-cache", "", "folder keeping the built-in plugins' compiled code across starts (default: plugin-cache under --data)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)
	adviseHugePages(ctx, log)
	if *pprofAddr != "" {
		if _, err := stack.ServePprof(ctx, *pprofAddr, log); err != nil {
			fmt.Fprintln(stderr, "kefu dev:", err)
			return 1
		}
	}
	start := time.Now()
	s, err := stack.Start(ctx, stack.Options{OTLPEndpoint: *otlp, Addr: *addr, DataDir: *data, AgentEmail: *email, AgentPassword: *password, Logger: log,
		DemoHistoryDays: *demoDays, SMTPAddr: chf.smtpAddr, Channels: chf.options(*data),
		MaxConns: *maxConns, MaxConnsPerIP: *maxConnsPerIP, PluginCache: *pluginCache})
	if err != nil {
		fmt.Fprintln(stderr, "kefu dev:", err)
		return 1
	}
	fmt.Fprintf(stdout, `
Kefu is running (ready in %s)

  Storefront demo  %s/demo/
  Agent console    %s/console/
      login        %s / %s  (tenant demo)
  REST API         %s/v1/
  Health, metrics  %s/healthz  %s/metrics

Press Ctrl-C to stop.
`, time.Since(start).Round(time.Millisecond), s.URL, s.URL, s.AgentEmail, s.AgentPassword, s.URL, s.URL, s.URL)
	select {
	case <-ctx.Done():
	case err = <-waitErr(s):
		if err != nil {
			fmt.Fprintln(stderr, "kefu dev:", err)
		}
	}
	if err := s.Close(); err != nil {
		log.Warn("shutdown", "err", err)
	}
	return 0
}

func waitErr(s *stack.Stack) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- s.Wait() }()
	return ch
}
