// Package cli implements `kefu pii`: scan text from stdin for personal data
// and evaluate the detector on a labelled file.
//
//	kefu pii scan [--types PHONE,EMAIL] [--locales zh,de]   < lines
//	kefu pii eval --data FILE [--json] [--misses]
//
// scan prints one JSON object per input line:
// {"text":"call [PHONE]","spans":[{"type":"PHONE","start":5,"end":16}]}
// with offsets into the input line (bytes).
package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/kefu-io/kefu/plugins/pii"
	"github.com/kefu-io/kefu/plugins/pii/piieval"
)

const usage = `usage: kefu pii <command> [flags]

commands:
  scan   read lines on stdin, print {"text","spans"} JSON per line
  eval   measure recall and precision on a labelled file (--data FILE)
`

// Main runs `kefu pii` with args (without "pii") and returns the exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "scan":
		err = scan(ctx, args[1:], stdin, stdout, stderr)
	case "eval":
		err = eval(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "kefu pii: unknown command %q\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "kefu pii %s: %v\n", args[0], err)
		if errors.Is(err, errUsage) {
			return 2
		}
		return 1
	}
	return 0
}

var errUsage = errors.New("bad usage")

// parseErr marks flag errors as usage errors (exit code 2).
func parseErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return fmt.Errorf("%w: %w", errUsage, err)
}

func options(fs *flag.FlagSet) func() (pii.Options, error) {
	types := fs.String("types", "", "comma-separated types to detect (default all): "+typeList())
	locales := fs.String("locales", "", "comma-separated locales for national formats and addresses (default all)")
	return func() (pii.Options, error) {
		var o pii.Options
		for _, t := range split(*types) {
			tt := pii.Type(strings.ToUpper(t))
			ok := false
			for _, k := range pii.AllTypes {
				ok = ok || k == tt
			}
			if !ok {
				return o, fmt.Errorf("%w: unknown type %q (want %s)", errUsage, t, typeList())
			}
			o.Types = append(o.Types, tt)
		}
		o.Locales = split(*locales)
		return o, nil
	}
}

func typeList() string {
	var s []string
	for _, t := range pii.AllTypes {
		s = append(s, string(t))
	}
	return strings.Join(s, ",")
}

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

type outSpan struct {
	Type  pii.Type `json:"type"`
	Start int      `json:"start"`
	End   int      `json:"end"`
}

type outLine struct {
	Text  string    `json:"text"`
	Spans []outSpan `json:"spans"`
}

func scan(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kefu pii scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := options(fs)
	if err := fs.Parse(args); err != nil {
		return parseErr(err)
	}
	o, err := opts()
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := pii.Redact(sc.Text(), o)
		ol := outLine{Text: r.Text, Spans: make([]outSpan, 0, len(r.Spans))}
		for _, s := range r.Spans {
			ol.Spans = append(ol.Spans, outSpan{s.Type, s.Start, s.End})
		}
		if err := enc.Encode(ol); err != nil {
			return fmt.Errorf("writing: %w", err)
		}
	}
	if err := sc.Err(); err != nil {
		w.Flush()
		return fmt.Errorf("reading stdin: %w", err)
	}
	return w.Flush()
}

func eval(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kefu pii eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "labelled JSON Lines file (see plugins/pii/testdata/README.md)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	misses := fs.Bool("misses", false, "list every missed and spurious span")
	opts := options(fs)
	if err := fs.Parse(args); err != nil {
		return parseErr(err)
	}
	if *data == "" {
		return fmt.Errorf("%w: --data FILE is required", errUsage)
	}
	o, err := opts()
	if err != nil {
		return err
	}
	exs, err := piieval.ReadFiles(*data)
	if err != nil {
		return err
	}
	rep := piieval.Evaluate(exs, o)
	if *asJSON {
		if !*misses {
			rep.Misses = nil
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(rep)
	}
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if *misses {
		for _, m := range rep.Misses {
			fmt.Fprintf(stdout, "line %d %s %s %q in %q\n", m.Line, m.Kind, m.Span.Type, m.Span.Value, m.Text)
		}
	}
	return nil
}
