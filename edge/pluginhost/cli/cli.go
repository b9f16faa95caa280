// Package cli implements `kefu plugin …`: scaffold, build, test and sign
// edge plugins.
//
//	kefu plugin new NAME [--dir PARENT]
//	kefu plugin build DIR [-o OUT.wasm]
//	kefu plugin test DIR|FILE.wasm --input FILE [--hook inbound] [--grant kv,http] [--config k=v]... [--allow host]...
//	kefu plugin sign keygen --out KEYFILE
//	kefu plugin sign --key KEYFILE --version V [--name N] BUNDLE.wasm
//	kefu plugin verify --pub PUBFILE BUNDLE.wasm
//
// `test` runs the plugin in the real host (edge/pluginhost) on each
// envelope of the input (one JSON envelope, a JSON array of them, or JSON
// lines; missing ids, tenant and times are filled in) and prints one
// verdict line per envelope.
package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/internal/metric"
	"github.com/kefu-io/kefu/internal/wasmbuild"
)

const usage = `usage: kefu plugin <command>

  new NAME [--dir PARENT]            scaffold a Go plugin in PARENT/NAME
  build DIR [-o OUT.wasm]            build a Go plugin (GOOS=wasip1, c-shared)
  test DIR|FILE.wasm --input FILE    run it in the real host and print verdicts
       [--hook inbound|outbound|event] [--grant kv,http,alert]
       [--config key=value]... [--allow host[:port]]... [--timeout 1s]
  sign keygen --out KEYFILE          make an ed25519 key pair (KEYFILE, KEYFILE.pub)
  sign --key KEYFILE --version V [--name N] BUNDLE.wasm
                                     write BUNDLE.wasm.sig (name, version, SHA-256 signed)
  verify --pub PUBFILE BUNDLE.wasm   check BUNDLE.wasm.sig
`

// Main runs `kefu plugin` with args (after "plugin") and returns the exit
// code: 0 ok, 1 failure, 2 usage error.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "new":
		err = cmdNew(args[1:], stdout)
	case "build":
		err = cmdBuild(ctx, args[1:], stdout, stderr)
	case "test":
		err = cmdTest(ctx, args[1:], stdin, stdout, stderr)
	case "sign":
		err = cmdSign(args[1:], stdout)
	case "verify":
		err = cmdVerify(args[1:], stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
	if err != nil {
		fmt.Fprintf(stderr, "kefu plugin: %v\n", err)
		if _, ok := errors.AsType[usageError](err); ok {
			fmt.Fprint(stderr, usage)
			return 2
		}
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// parse parses flags that may come before or after the positional args.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

func cmdNew(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("new", flag.ContinueOnError)
	parent := fs.String("dir", ".", "parent folder")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || !nameRE.MatchString(pos[0]) {
		return usageError{"new needs one NAME of lower-case letters, digits, '-' or '_'"}
	}
	name := pos[0]
	dir := filepath.Join(*parent, name)
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("%s already exists", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	files := map[string]string{
		"main.go":      scaffoldMain,
		"main_test.go": scaffoldTest,
		"sample.json":  scaffoldSample,
	}
	for f, body := range files {
		body = strings.ReplaceAll(body, "NAME", name)
		if err := os.WriteFile(filepath.Join(dir, f), []byte(body), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", f, err)
		}
	}
	fmt.Fprintf(stdout, "created %s\n  build: kefu plugin build %s\n  try:   kefu plugin test %s --input %s\n",
		dir, dir, dir, filepath.Join(dir, "sample.json"))
	return nil
}

const scaffoldMain = `// Command NAME is a Kefu edge plugin (plugins/ABI.md).
//
// Build: kefu plugin build .   (GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared)
package main

import (
	"strings"

	"github.com/kefu-io/kefu/plugins/pdk"
)

func init() {
	// Handlers must be registered in init: the host runs _initialize
	// (package init), never main.
	pdk.OnInbound(inbound)
}

func inbound(env *pdk.Envelope) pdk.Result {
	if strings.Contains(strings.ToLower(env.Message.Text), "opening hours") {
		return pdk.Answer("We are open 9:00-18:00, Monday to Friday.")
	}
	return pdk.Pass()
}

func main() {}
`

const scaffoldTest = `package main

import (
	"testing"

	"github.com/kefu-io/kefu/plugins/pdk"
)

func TestInbound(t *testing.T) {
	tests := []struct {
		text    string
		verdict pdk.Verdict
	}{
		{"What are your opening hours?", pdk.VerdictAnswer},
		{"where is my order", pdk.VerdictPass},
	}
	for _, tc := range tests {
		r, err := pdk.Run(pdk.HookInbound, &pdk.Envelope{Message: pdk.Message{Text: tc.text}})
		if err != nil || r.Verdict != tc.verdict {
			t.Errorf("%q: %+v %v", tc.text, r, err)
		}
	}
}
`

const scaffoldSample = `[
  {"tenant": "demo", "message": {"text": "What are your opening hours?"}},
  {"tenant": "demo", "message": {"text": "where is my order 12345"}}
]
`

func cmdBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	out := fs.String("o", "", "output .wasm (default DIR/<name>.wasm)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"build needs one DIR"}
	}
	dir := pos[0]
	if *out == "" {
		abs, _ := filepath.Abs(dir)
		*out = filepath.Join(dir, filepath.Base(abs)+".wasm")
	}
	if err := wasmbuild.Build(ctx, dir, *out, stderr); err != nil {
		return err
	}
	st, err := os.Stat(*out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "built %s (%d bytes)\n", *out, st.Size())
	return nil
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func cmdTest(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	input := fs.String("input", "", "envelopes: JSON object, array or lines ('-' = stdin)")
	hook := fs.String("hook", "inbound", "inbound, outbound or event")
	grants := fs.String("grant", "", "comma-separated capabilities: kv,http,alert")
	timeout := fs.Duration("timeout", time.Second, "per-call deadline")
	verbose := fs.Bool("v", false, "print the plugin's log")
	var configs, allow listFlag
	fs.Var(&configs, "config", "key=value for config_get (repeatable)")
	fs.Var(&allow, "allow", "host[:port] http_request may reach (repeatable)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *input == "" {
		return usageError{"test needs DIR (or FILE.wasm) and --input FILE"}
	}
	h := pluginhost.Hook(*hook)
	if h != pluginhost.HookInbound && h != pluginhost.HookOutbound && h != pluginhost.HookEvent {
		return usageError{fmt.Sprintf("unknown hook %q", *hook)}
	}
	var raw []byte
	if *input == "-" {
		raw, err = io.ReadAll(stdin)
	} else {
		raw, err = os.ReadFile(*input)
	}
	if err != nil {
		return fmt.Errorf("reading input: %w", err)
	}
	envs, err := decodeEnvelopes(raw, h)
	if err != nil {
		return err
	}
	wasm, name, err := loadBundle(ctx, pos[0], stderr)
	if err != nil {
		return err
	}
	p := pluginhost.Plugin{Fail: pluginhost.FailClosed, Config: map[string]string{},
		Limits: pluginhost.Limits{Timeout: pluginhost.Duration(*timeout)}}
	if *grants != "" {
		p.Grants = strings.Split(*grants, ",")
	}
	for _, kv := range configs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return usageError{fmt.Sprintf("--config %q is not key=value", kv)}
		}
		p.Config[k] = v
	}
	var alertMu sync.Mutex
	var alerts []pluginhost.Alert // delivered asynchronously; printed after Close
	logOut := io.Discard
	if *verbose {
		logOut = stderr
	}
	cfg := pluginhost.Config{
		Regions: map[string]pluginhost.Region{"test": {
			Pipelines: map[pluginhost.Hook][]string{h: {name}},
			Plugins:   map[string]pluginhost.Plugin{name: p},
			HTTPAllow: allow,
		}},
		Builtin:    func(string) ([]byte, bool) { return wasm, true },
		Logger:     slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registerer: metric.NewRegistry(),
		AlertSink: func(_ context.Context, a pluginhost.Alert) {
			alertMu.Lock()
			alerts = append(alerts, a)
			alertMu.Unlock()
		},
	}
	if dir, err := os.UserCacheDir(); err == nil {
		cfg.CacheDir = filepath.Join(dir, "kefu", "wazero")
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	host, err := pluginhost.NewHost(ctx, cfg)
	if err != nil {
		return err
	}
	failed := 0
	for i, env := range envs {
		start := time.Now()
		out, err := host.Run(ctx, "test", h, env)
		took := time.Since(start)
		if err != nil {
			failed++
			fmt.Fprintf(stdout, "%d\tfailed\tkind=%s\t%v\n", i+1, pluginhost.FailureKind(err), err)
			continue
		}
		fmt.Fprintf(stdout, "%d\t%s\t%s\t(%s)\n", i+1, out.Verdict, describe(env, out), took.Round(time.Microsecond))
	}
	_ = host.Close() // delivers queued alerts
	alertMu.Lock()
	for _, a := range alerts {
		fmt.Fprintf(stdout, "alert level=%s text=%q link=%q conversation=%s\n", a.Level, a.Text, a.Link, a.ConversationID)
	}
	alertMu.Unlock()
	if failed > 0 {
		return fmt.Errorf("%d of %d calls failed", failed, len(envs))
	}
	return nil
}

func describe(in chat.Envelope, out pluginhost.Outcome) string {
	var parts []string
	switch out.Verdict {
	case pluginhost.Answer:
		parts = append(parts, fmt.Sprintf("answer=%q", out.Answer))
	case pluginhost.Drop, pluginhost.Escalate:
		parts = append(parts, fmt.Sprintf("reason=%q", out.Reason))
	}
	if out.Envelope.Message.Text != in.Message.Text {
		parts = append(parts, fmt.Sprintf("text=%q", out.Envelope.Message.Text))
	}
	if len(out.Envelope.Labels) > 0 {
		b, _ := json.Marshal(out.Envelope.Labels)
		parts = append(parts, "labels="+string(b))
	}
	if len(parts) == 0 {
		return "text unchanged"
	}
	return strings.Join(parts, " ")
}

// loadBundle reads FILE.wasm or builds DIR.
func loadBundle(ctx context.Context, path string, stderr io.Writer) ([]byte, string, error) {
	base := strings.TrimSuffix(filepath.Base(path), ".wasm")
	if abs, err := filepath.Abs(path); err == nil {
		base = strings.TrimSuffix(filepath.Base(abs), ".wasm")
	}
	name := strings.ToLower(base)
	if !nameRE.MatchString(name) {
		name = "plugin"
	}
	if strings.HasSuffix(path, ".wasm") {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, "", fmt.Errorf("reading bundle: %w", err)
		}
		return b, name, nil
	}
	tmp, err := os.MkdirTemp("", "kefu-plugin-test-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, name+".wasm")
	if err := wasmbuild.Build(ctx, path, out, stderr); err != nil {
		return nil, "", err
	}
	b, err := os.ReadFile(out)
	return b, name, err
}

// decodeEnvelopes reads one envelope, an array, or JSON lines, and fills
// what a test file may leave out.
func decodeEnvelopes(raw []byte, hook pluginhost.Hook) ([]chat.Envelope, error) {
	raw = bytes.TrimSpace(raw)
	var envs []chat.Envelope
	switch {
	case len(raw) == 0:
		return nil, errors.New("input is empty")
	case raw[0] == '[':
		if err := json.Unmarshal(raw, &envs); err != nil {
			return nil, fmt.Errorf("input: %w", err)
		}
	default:
		dec := json.NewDecoder(bytes.NewReader(raw))
		for dec.More() {
			var e chat.Envelope
			if err := dec.Decode(&e); err != nil {
				return nil, fmt.Errorf("input envelope %d: %w", len(envs)+1, err)
			}
			envs = append(envs, e)
		}
	}
	for i := range envs {
		e := &envs[i]
		if e.V == 0 {
			e.V = chat.ProtocolVersion
		}
		if e.Tenant == "" {
			e.Tenant = "demo"
		}
		if e.Region == "" {
			e.Region = "test"
		}
		if e.Channel == "" {
			e.Channel = chat.ChannelWeb
		}
		if e.Visitor == "" {
			e.Visitor = "visitor-1"
		}
		if e.Direction == "" {
			e.Direction = chat.Inbound
			if hook == pluginhost.HookOutbound {
				e.Direction = chat.Outbound
			}
		}
		if e.Message.ID == "" {
			e.Message.ID = chat.NewID()
		}
		if e.Message.Role == "" {
			e.Message.Role = chat.RoleShopper
			if hook == pluginhost.HookOutbound {
				e.Message.Role = chat.RoleBot
			}
		}
		if e.Message.At.IsZero() {
			e.Message.At = time.Now().UTC()
		}
		if err := e.Check(0); err != nil && hook != pluginhost.HookEvent {
			return nil, fmt.Errorf("input envelope %d: %w", i+1, err)
		}
	}
	return envs, nil
}

func cmdSign(args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "keygen" {
		fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
		out := fs.String("out", "", "private key file (the public key goes to FILE.pub)")
		if _, err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *out == "" {
			return usageError{"sign keygen needs --out KEYFILE"}
		}
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		if err := writeNew(*out, []byte(base64.StdEncoding.EncodeToString(priv)+"\n"), 0o600); err != nil {
			return err
		}
		pubText := base64.StdEncoding.EncodeToString(pub)
		if err := writeNew(*out+".pub", []byte(pubText+"\n"), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "private key: %s\npublic key:  %s\nadd to the edge config: trusted_keys = [%q]\n", *out, *out+".pub", pubText)
		return nil
	}
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	keyFile := fs.String("key", "", "private key file from `sign keygen`")
	name := fs.String("name", "", "plugin name the bundle is installed as (default: the file name without .wasm)")
	version := fs.String("version", "", "release version, dotted numbers (1.4.0); edges refuse older releases than the one they run")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *keyFile == "" || *version == "" || len(pos) != 1 {
		return usageError{"sign needs --key KEYFILE --version V and one BUNDLE.wasm"}
	}
	if *name == "" {
		*name = strings.TrimSuffix(filepath.Base(pos[0]), ".wasm")
	}
	priv, err := readKey(*keyFile, ed25519.PrivateKeySize)
	if err != nil {
		return err
	}
	wasm, err := os.ReadFile(pos[0])
	if err != nil {
		return fmt.Errorf("reading bundle: %w", err)
	}
	sig, err := pluginhost.SignBundle(ed25519.PrivateKey(priv), *name, *version, wasm)
	if err != nil {
		return err
	}
	if err := os.WriteFile(pos[0]+".sig", sig, 0o644); err != nil {
		return fmt.Errorf("writing signature: %w", err)
	}
	fmt.Fprintf(stdout, "signed %s as %s %s -> %s.sig\n", pos[0], *name, *version, pos[0])
	return nil
}

func cmdVerify(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	pubFile := fs.String("pub", "", "public key file")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *pubFile == "" || len(pos) != 1 {
		return usageError{"verify needs --pub PUBFILE and one BUNDLE.wasm"}
	}
	pub, err := readKey(*pubFile, ed25519.PublicKeySize)
	if err != nil {
		return err
	}
	wasm, err := os.ReadFile(pos[0])
	if err != nil {
		return fmt.Errorf("reading bundle: %w", err)
	}
	sigText, err := os.ReadFile(pos[0] + ".sig")
	if err != nil {
		return fmt.Errorf("reading signature: %w", err)
	}
	sig, err := pluginhost.ParseSignature(sigText)
	if err != nil {
		return err
	}
	if err := pluginhost.VerifySignature([]ed25519.PublicKey{ed25519.PublicKey(pub)}, sig.Plugin, wasm, sigText); err != nil {
		return fmt.Errorf("%s: signature does NOT verify: %w", pos[0], err)
	}
	fmt.Fprintf(stdout, "%s: signature ok (%s %s)\n", pos[0], sig.Plugin, sig.Version)
	return nil
}

func readKey(path string, size int) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading key: %w", err)
	}
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(k) != size {
		return nil, fmt.Errorf("%s is not a base64 ed25519 key of %d bytes", path, size)
	}
	return k, nil
}

func writeNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}
