package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// The production kefu does not link training, comparisons or benchmarks
// (they would triple its size). `kefu model …` and `kefu bench …` run the
// companion binaries kefu-model and kefu-bench (cmd/kefu-model,
// cmd/kefu-bench) with the same arguments, standard streams and exit code.
// A companion is looked for, in order:
//
//  1. in $KEFU_TOOLS_DIR, when set;
//  2. next to this executable (make build puts all three in bin/);
//  3. on $PATH;
//  4. when the working directory is inside Kefu's source tree and `go` is
//     on $PATH: `go run ./cmd/<companion>` of that tree (slow the first
//     time: it compiles).
//
// Otherwise the command fails with a message saying how to get it.

// modulePath is Kefu's module, recognised in go.mod for the go run fallback.
const modulePath = "github.com/kefu-io/kefu"

// errNoTool is returned by findTool when no way to run a companion exists.
var errNoTool = errors.New("not found")

// forward returns the command that runs companion tool with its arguments.
func forward(tool string) command {
	return func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
		argv, err := findTool(tool)
		if err != nil {
			fmt.Fprintf(stderr, "kefu: %s %s: this command is in the companion binary %s (%v): "+
				"build it with `make build` (bin/%s) or `go build -o bin/%s ./cmd/%s`, or set KEFU_TOOLS_DIR\n",
				strings.TrimPrefix(tool, "kefu-"), firstArg(args), tool, err, tool, tool, tool)
			return 1
		}
		cmd := exec.CommandContext(ctx, argv[0], append(argv[1:], args...)...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
		// Ctrl-C and SIGTERM reach the companion as an interrupt, so that a
		// benchmark stops its servers; a companion that hangs is killed.
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		cmd.WaitDelay = 15 * time.Second
		err = cmd.Run()
		if ee, ok := errors.AsType[*exec.ExitError](err); ok {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return 128 + int(ws.Signal())
			}
			return ee.ExitCode()
		}
		if err != nil {
			fmt.Fprintf(stderr, "kefu: run %s: %v\n", tool, err)
			return 1
		}
		return 0
	}
}

func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

// findTool returns the command line that runs companion tool.
func findTool(tool string) ([]string, error) {
	if dir := os.Getenv("KEFU_TOOLS_DIR"); dir != "" {
		p := filepath.Join(dir, tool)
		if isExecutable(p) {
			return []string{p}, nil
		}
		return nil, fmt.Errorf("%w in KEFU_TOOLS_DIR=%s", errNoTool, dir)
	}
	if self, err := os.Executable(); err == nil {
		if p := filepath.Join(filepath.Dir(self), tool); isExecutable(p) {
			return []string{p}, nil
		}
	}
	if p, err := exec.LookPath(tool); err == nil {
		return []string{p}, nil
	}
	if root := sourceRoot(); root != "" {
		if goBin, err := exec.LookPath("go"); err == nil {
			return []string{goBin, "run", filepath.Join(root, "cmd", tool)}, nil
		}
	}
	return nil, fmt.Errorf("%w next to kefu, on PATH or in a Kefu source tree", errNoTool)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// sourceRoot returns the root of the Kefu source tree holding the working
// directory, or "".
func sourceRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if f, err := os.Open(filepath.Join(dir, "go.mod")); err == nil {
			sc := bufio.NewScanner(f)
			mod := ""
			if sc.Scan() {
				mod = strings.TrimSpace(strings.TrimPrefix(sc.Text(), "module"))
			}
			f.Close()
			if mod == modulePath {
				if _, err := os.Stat(filepath.Join(dir, "cmd")); err == nil {
					return dir
				}
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
