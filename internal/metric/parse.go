package metric

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ParseText reads text in the exposition format 0.0.4 strictly, as
// WriteText writes it: every family a # HELP and a # TYPE line followed by
// its series, no family twice, no other comments or blank lines, valid
// names, label values escaped, no series twice; a histogram's series are
// _bucket with le last and increasing to +Inf, then _sum and _count equal
// to the +Inf bucket; a summary's are its quantiles, _sum and _count. It
// is how tests check that /metrics stays what Prometheus and the
// dashboard read.
func ParseText(r io.Reader) ([]Family, error) {
	p := parser{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if err := p.line(sc.Text()); err != nil {
			return nil, fmt.Errorf("line %d: %w: %q", n, err, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return p.fams, nil
}

type parser struct {
	fams   []Family
	seen   map[string]bool
	help   string // the name of a # HELP line not yet followed by # TYPE
	fam    *Family
	series map[string]int // label set (without le, quantile) → index in fam.Metrics
	state  map[string]int // histogram/summary series: 0 buckets/quantiles, 1 after _sum, 2 after _count
}

func (p *parser) line(l string) error {
	if rest, ok := strings.CutPrefix(l, "# HELP "); ok {
		if err := p.finish(); err != nil {
			return err
		}
		name, help, ok := strings.Cut(rest, " ")
		if !ok || !validName(name, true) {
			return fmt.Errorf("bad HELP line")
		}
		if p.seen[name] {
			return fmt.Errorf("family %s twice", name)
		}
		text, err := unescape(help, false)
		if err != nil {
			return err
		}
		p.help = name
		p.fams = append(p.fams, Family{Name: name, Help: text})
		p.fam = nil
		return nil
	}
	if rest, ok := strings.CutPrefix(l, "# TYPE "); ok {
		name, typ, _ := strings.Cut(rest, " ")
		if p.help != name {
			return fmt.Errorf("TYPE without its HELP line")
		}
		switch t := Type(typ); t {
		case CounterType, GaugeType, HistogramType, SummaryType:
			p.fam = &p.fams[len(p.fams)-1]
			p.fam.Type = t
		default:
			return fmt.Errorf("unknown type %q", typ)
		}
		if p.seen == nil {
			p.seen = map[string]bool{}
		}
		p.seen[name] = true
		p.help = ""
		p.series, p.state = map[string]int{}, map[string]int{}
		return nil
	}
	if p.fam == nil {
		return fmt.Errorf("a line outside a family")
	}
	return p.sample(l)
}

func (p *parser) sample(l string) error {
	name, labels, value, err := splitSample(l)
	if err != nil {
		return err
	}
	f := p.fam
	suffix, ok := strings.CutPrefix(name, f.Name)
	if !ok {
		return fmt.Errorf("series of another family")
	}
	var extra string // le or quantile
	switch {
	case f.Type == HistogramType && suffix == "_bucket":
		extra = "le"
	case f.Type == SummaryType && suffix == "":
		extra = "quantile"
	case (f.Type == HistogramType || f.Type == SummaryType) && (suffix == "_sum" || suffix == "_count"):
	case (f.Type == CounterType || f.Type == GaugeType) && suffix == "":
	default:
		return fmt.Errorf("series name %s in a %s family", name, f.Type)
	}
	var bound float64
	if extra != "" {
		if len(labels) == 0 || labels[len(labels)-1].Name != extra {
			return fmt.Errorf("no %s label last", extra)
		}
		if bound, err = parseFloat(labels[len(labels)-1].Value); err != nil {
			return err
		}
		labels = labels[:len(labels)-1]
	}
	for i, lb := range labels {
		if i > 0 && labels[i-1].Name >= lb.Name {
			return fmt.Errorf("labels not sorted by name or repeated")
		}
		if lb.Name == "le" || lb.Name == "quantile" {
			return fmt.Errorf("label %s where it does not belong", lb.Name)
		}
	}
	key := fmt.Sprint(labels)
	idx, known := p.series[key]
	if f.Type == CounterType || f.Type == GaugeType {
		if known {
			return fmt.Errorf("series twice")
		}
		p.series[key] = len(f.Metrics)
		f.Metrics = append(f.Metrics, Metric{Labels: labels, Value: value})
		return nil
	}
	if !known {
		if extra == "" {
			return fmt.Errorf("%s before the %s series", suffix, extra)
		}
		idx = len(f.Metrics)
		p.series[key] = idx
		f.Metrics = append(f.Metrics, Metric{Labels: labels})
	}
	m := &f.Metrics[idx]
	st := p.state[key]
	switch {
	case extra != "" && st == 0:
		if f.Type == SummaryType {
			m.Quantiles = append(m.Quantiles, Quantile{Quantile: bound, Value: value})
			return nil
		}
		count, err := wholeCount(value)
		if err != nil {
			return err
		}
		if n := len(m.Buckets); n > 0 && (bound <= m.Buckets[n-1].UpperBound || count < m.Buckets[n-1].Count) {
			return fmt.Errorf("buckets not increasing")
		}
		m.Buckets = append(m.Buckets, Bucket{UpperBound: bound, Count: count})
	case suffix == "_sum" && st == 0:
		if f.Type == HistogramType {
			n := len(m.Buckets)
			if n == 0 || !math.IsInf(m.Buckets[n-1].UpperBound, +1) {
				return fmt.Errorf("no +Inf bucket")
			}
			m.Count = m.Buckets[n-1].Count
			m.Buckets = m.Buckets[:n-1]
		}
		m.Sum = value
		p.state[key] = 1
	case suffix == "_count" && st == 1:
		count, err := wholeCount(value)
		if err != nil {
			return err
		}
		if f.Type == HistogramType && count != m.Count {
			return fmt.Errorf("_count %d is not the +Inf bucket's %d", count, m.Count)
		}
		m.Count = count
		p.state[key] = 2
	default:
		return fmt.Errorf("series out of order")
	}
	return nil
}

// finish checks the family read last is complete.
func (p *parser) finish() error {
	if p.help != "" {
		return fmt.Errorf("family %s: HELP without TYPE", p.help)
	}
	if p.fam == nil {
		return nil
	}
	if len(p.fam.Metrics) == 0 {
		return fmt.Errorf("family %s has no series", p.fam.Name)
	}
	for key, st := range p.state {
		if st != 2 {
			return fmt.Errorf("family %s, series %s: no _sum and _count", p.fam.Name, key)
		}
	}
	for key := range p.series {
		if _, ok := p.state[key]; !ok && (p.fam.Type == HistogramType || p.fam.Type == SummaryType) {
			return fmt.Errorf("family %s, series %s: no _sum and _count", p.fam.Name, key)
		}
	}
	p.fam = nil
	return nil
}

func wholeCount(v float64) (uint64, error) {
	if v < 0 || v != math.Trunc(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("count %v is not a whole number", v)
	}
	return uint64(v), nil
}

func parseFloat(s string) (float64, error) {
	switch s {
	case "+Inf":
		return math.Inf(+1), nil
	case "-Inf":
		return math.Inf(-1), nil
	case "NaN":
		return math.NaN(), nil
	}
	if s == "" || strings.ContainsAny(s, "_ ") || strings.EqualFold(s, "inf") || strings.EqualFold(s, "+inf") || strings.EqualFold(s, "-inf") || strings.EqualFold(s, "nan") {
		return 0, fmt.Errorf("bad number %q", s)
	}
	return strconv.ParseFloat(s, 64)
}

// splitSample splits `name{a="x",b="y"} value` (no timestamp).
func splitSample(l string) (name string, labels []Label, value float64, err error) {
	i := strings.IndexAny(l, "{ ")
	if i <= 0 {
		return "", nil, 0, fmt.Errorf("bad series line")
	}
	name, rest := l[:i], l[i:]
	if !validName(name, true) {
		return "", nil, 0, fmt.Errorf("bad series name")
	}
	if rest[0] == '{' {
		rest = rest[1:]
		for {
			eq := strings.Index(rest, `="`)
			if eq <= 0 || !validName(rest[:eq], false) {
				return "", nil, 0, fmt.Errorf("bad label")
			}
			lname := rest[:eq]
			rest = rest[eq+2:]
			end := closingQuote(rest)
			if end < 0 {
				return "", nil, 0, fmt.Errorf("unterminated label value")
			}
			v, err := unescape(rest[:end], true)
			if err != nil {
				return "", nil, 0, err
			}
			labels = append(labels, Label{Name: lname, Value: v})
			rest = rest[end+1:]
			if strings.HasPrefix(rest, ",") {
				rest = rest[1:]
				continue
			}
			if !strings.HasPrefix(rest, "}") {
				return "", nil, 0, fmt.Errorf("bad label list")
			}
			rest = rest[1:]
			break
		}
	}
	v, ok := strings.CutPrefix(rest, " ")
	if !ok || strings.Contains(v, " ") {
		return "", nil, 0, fmt.Errorf("not one value after one space")
	}
	value, err = parseFloat(v)
	return name, labels, value, err
}

// closingQuote returns the index of the first unescaped " in s, or -1.
func closingQuote(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// unescape undoes appendEscaped: \\ and \n, and \" in a label value; any
// other backslash (or a newline, or a lone " in a label value) is an error.
func unescape(s string, label bool) (string, error) {
	if !strings.ContainsAny(s, "\\\"\n") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == '\\':
			b.WriteByte('\\')
			i++
		case c == '\\' && i+1 < len(s) && s[i+1] == 'n':
			b.WriteByte('\n')
			i++
		case c == '\\' && label && i+1 < len(s) && s[i+1] == '"':
			b.WriteByte('"')
			i++
		case c == '\\', c == '\n', c == '"' && label:
			return "", fmt.Errorf("bad escape in %q", s)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
