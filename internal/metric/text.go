package metric

import (
	"bufio"
	"compress/gzip"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// ContentType is the media type of the text exposition format 0.0.4, as
// the Prometheus client served it.
const ContentType = "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"

// WriteText writes the families in Prometheus's text exposition format
// 0.0.4: for each family a # HELP line (\ and newlines escaped), a # TYPE
// line and its series, label values escaped (\, " and newlines).
func WriteText(w io.Writer, fams []Family) error {
	bw := bufio.NewWriter(w)
	var buf []byte
	for _, f := range fams {
		buf = append(buf[:0], "# HELP "...)
		buf = append(buf, f.Name...)
		buf = append(buf, ' ')
		buf = appendEscaped(buf, f.Help, false)
		buf = append(buf, "\n# TYPE "...)
		buf = append(buf, f.Name...)
		buf = append(buf, ' ')
		buf = append(buf, f.Type...)
		buf = append(buf, '\n')
		for _, m := range f.Metrics {
			switch f.Type {
			case HistogramType:
				for _, b := range m.Buckets {
					buf = appendSeries(buf, f.Name, "_bucket", m.Labels, "le", b.UpperBound)
					buf = strconv.AppendUint(buf, b.Count, 10)
					buf = append(buf, '\n')
				}
				buf = appendSeries(buf, f.Name, "_bucket", m.Labels, "le", math.Inf(+1))
				buf = strconv.AppendUint(buf, m.Count, 10)
				buf = append(buf, '\n')
				buf = appendSumCount(buf, f.Name, m)
			case SummaryType:
				for _, q := range m.Quantiles {
					buf = appendSeries(buf, f.Name, "", m.Labels, "quantile", q.Quantile)
					buf = appendFloat(buf, q.Value)
					buf = append(buf, '\n')
				}
				buf = appendSumCount(buf, f.Name, m)
			default:
				buf = appendSeries(buf, f.Name, "", m.Labels, "", 0)
				buf = appendFloat(buf, m.Value)
				buf = append(buf, '\n')
			}
		}
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func appendSumCount(buf []byte, name string, m Metric) []byte {
	buf = appendSeries(buf, name, "_sum", m.Labels, "", 0)
	buf = appendFloat(buf, m.Sum)
	buf = append(buf, '\n')
	buf = appendSeries(buf, name, "_count", m.Labels, "", 0)
	buf = strconv.AppendUint(buf, m.Count, 10)
	return append(buf, '\n')
}

// appendSeries appends a series' name, suffix and labels and the space
// before its value; extra (le, quantile) is a last label if not empty.
func appendSeries(buf []byte, name, suffix string, labels []Label, extra string, extraValue float64) []byte {
	buf = append(buf, name...)
	buf = append(buf, suffix...)
	if len(labels) > 0 || extra != "" {
		buf = append(buf, '{')
		for i, l := range labels {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, l.Name...)
			buf = append(buf, `="`...)
			buf = appendEscaped(buf, l.Value, true)
			buf = append(buf, '"')
		}
		if extra != "" {
			if len(labels) > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, extra...)
			buf = append(buf, `="`...)
			buf = appendFloat(buf, extraValue)
			buf = append(buf, '"')
		}
		buf = append(buf, '}')
	}
	return append(buf, ' ')
}

// appendEscaped appends s with \ and newlines escaped, and " too in a
// label value (quote).
func appendEscaped(buf []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			buf = append(buf, `\\`...)
		case c == '\n':
			buf = append(buf, `\n`...)
		case c == '"' && quote:
			buf = append(buf, `\"`...)
		default:
			buf = append(buf, c)
		}
	}
	return buf
}

// appendFloat formats v as the Prometheus client did: +Inf, -Inf, NaN, or
// the shortest representation ('g').
func appendFloat(buf []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(buf, "NaN"...)
	case math.IsInf(v, +1):
		return append(buf, "+Inf"...)
	case math.IsInf(v, -1):
		return append(buf, "-Inf"...)
	}
	return strconv.AppendFloat(buf, v, 'g', -1, 64)
}

// Handler serves the gatherers' families (Gatherers) in the text format,
// gzip-compressed when the client accepts it.
func Handler(gs ...Gatherer) http.Handler {
	g := Gatherers(gs)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fams := g.Gather()
		h := w.Header()
		h.Set("Content-Type", ContentType)
		h.Add("Vary", "Accept-Encoding")
		var out io.Writer = w
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			h.Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(w)
			defer gz.Close()
			out = gz
		}
		_ = WriteText(out, fams) // a write error is the client gone
	})
}

func acceptsGzip(ae string) bool {
	for part := range strings.SplitSeq(ae, ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			return strings.TrimSpace(strings.ReplaceAll(q, " ", "")) != "q=0"
		}
	}
	return false
}

// Text returns the text format of g's families named names (all of them
// for none).
func Text(g Gatherer, names ...string) string {
	fams := g.Gather()
	if len(names) > 0 {
		fams = slices.DeleteFunc(fams, func(f Family) bool { return !slices.Contains(names, f.Name) })
	}
	var b strings.Builder
	_ = WriteText(&b, fams)
	return b.String()
}
