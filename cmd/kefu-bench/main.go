// Command kefu-bench runs the benchmarks whose numbers go in README.md. It
// is a binary of its own so that the production `kefu` stays lean (the
// comparisons link Extism, bare Fiber baselines and load generators):
// `kefu bench …` forwards here (cmd/kefu/tools.go), and `make build` puts
// kefu-bench next to kefu in bin/.
//
//	kefu bench edge      edge with the EU pipeline vs bare Fiber echo
//	kefu bench plugins   our plugin host vs Extism
//
// Adding a benchmark `kefu bench NAME`: a new file in this folder
// (cmd/kefu-bench/NAME.go) with
//
//	func init() { register("NAME", "one line of help", runNAME) }
//
// where runNAME has the signature of command; it prints its table and the
// conditions of the run (the machine is shared: compare within one run).
// Nothing else needs to change: the lean kefu forwards every `kefu bench`
// argument unchanged.
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

// command runs one benchmark with its arguments (after the name); it
// returns the process exit code.
type command func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int

var benches = map[string]struct {
	run  command
	help string
}{}

// register adds `kefu bench name`; it panics on a duplicate name.
func register(name, help string, run command) {
	if _, dup := benches[name]; dup {
		panic("kefu-bench: benchmark registered twice: " + name)
	}
	benches[name] = struct {
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
		w := stderr
		if len(args) > 0 {
			w = stdout
		}
		usage(w)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	b, ok := benches[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "kefu bench: unknown benchmark %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return b.run(ctx, args[1:], stdin, stdout, stderr)
}

func usage(w io.Writer) {
	names := make([]string, 0, len(benches))
	for n := range benches {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: kefu bench <benchmark> [flags]\n\nbenchmarks:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, benches[n].help)
	}
}
