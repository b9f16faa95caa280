// Command kefu is Kefu's single binary:
//
//	kefu dev      all-in-one embedded default (NATS, central, edge, demo, console)
//	kefu edge     a regional edge node
//	kefu central  the central service
//	kefu plugin   scaffold, build, test and sign edge plugins
//	kefu pii      scan text for personal data
//	kefu model    train, evaluate and run the text models (runs kefu-model)
//	kefu bench    benchmarks whose numbers go in README.md (runs kefu-bench)
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command runs one subcommand; it returns the process exit code.
type command func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int

var commands = map[string]struct {
	run  command
	help string
}{}

func register(name, help string, run command) {
	commands[name] = struct {
		run  command
		help string
	}{run, help}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "kefu: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(ctx, args[1:], stdin, stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: kefu <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].help)
	}
}
