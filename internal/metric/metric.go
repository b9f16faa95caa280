// Package metric is Kefu's metrics: counters, gauges and histograms, with
// or without labels, registered on a Registry and served in Prometheus's
// text exposition format 0.0.4 by Handler, beside the Go runtime's and
// the process's own go_* and process_* series (Runtime).
//
// It replaces the Prometheus client (with its protobuf model, ~44
// packages and ~11 CPU seconds of a cold build) with what Kefu uses of
// it, keeping the names, types and output of every series: label names
// sorted, families sorted by name and series by label values, histograms
// as cumulative _bucket{le} series with _sum and _count.
package metric

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// Type is a metric family's type, as its # TYPE line spells it.
type Type string

// The types of metric families.
const (
	CounterType   Type = "counter"
	GaugeType     Type = "gauge"
	HistogramType Type = "histogram"
	SummaryType   Type = "summary"
)

// Opts name and describe a counter or gauge. The full name is
// Namespace_Subsystem_Name, the empty parts left out.
type Opts struct {
	Namespace string
	Subsystem string
	Name      string
	Help      string
}

// CounterOpts are the Opts of a counter.
type CounterOpts = Opts

// GaugeOpts are the Opts of a gauge.
type GaugeOpts = Opts

// HistogramOpts name and describe a histogram and give its buckets' upper
// bounds, increasing (a last +Inf is implied). Default: DefBuckets.
type HistogramOpts struct {
	Namespace string
	Subsystem string
	Name      string
	Help      string
	Buckets   []float64
}

// DefBuckets are the buckets of a histogram made without any: 5 ms to
// 10 s, for latencies in seconds.
var DefBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// ExponentialBuckets returns count bucket bounds: start, start×factor,
// start×factor², …
func ExponentialBuckets(start, factor float64, count int) []float64 {
	if count < 1 || start <= 0 || factor <= 1 {
		panic("metric: ExponentialBuckets needs count ≥ 1, start > 0, factor > 1")
	}
	b := make([]float64, count)
	for i := range b {
		b[i] = start
		start *= factor
	}
	return b
}

// desc is what a collector exposes about itself: the family's name, help,
// type and label names (sorted: order maps them to the label values in
// the order they were declared).
type desc struct {
	name   string
	help   string
	typ    Type
	labels []string // as declared
	order  []int    // indexes into labels, sorted by label name
}

func newDesc(ns, sub, name, help string, typ Type, labels []string) *desc {
	full := name
	if sub != "" {
		full = sub + "_" + full
	}
	if ns != "" {
		full = ns + "_" + full
	}
	if !validName(full, true) {
		panic(fmt.Sprintf("metric: invalid metric name %q", full))
	}
	d := &desc{name: full, help: help, typ: typ, labels: slices.Clone(labels)}
	seen := map[string]bool{}
	for i, l := range labels {
		reserved := (typ == HistogramType && l == "le") || (typ == SummaryType && l == "quantile")
		if !validName(l, false) || strings.HasPrefix(l, "__") || reserved || seen[l] {
			panic(fmt.Sprintf("metric: %s: invalid or repeated label name %q", full, l))
		}
		seen[l] = true
		d.order = append(d.order, i)
	}
	slices.SortFunc(d.order, func(a, b int) int { return strings.Compare(labels[a], labels[b]) })
	return d
}

// same reports whether d and o describe the same family.
func (d *desc) same(o *desc) bool {
	return d.name == o.name && d.help == o.help && d.typ == o.typ && slices.Equal(d.labels, o.labels)
}

// labelPairs returns values (in declared order) as labels sorted by name.
func (d *desc) labelPairs(values []string) []Label {
	if len(values) == 0 {
		return nil
	}
	out := make([]Label, len(values))
	for i, j := range d.order {
		out[i] = Label{Name: d.labels[j], Value: values[j]}
	}
	return out
}

// validName reports whether s is a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)
// or, colon false, a label name (no colons).
func validName(s string, colon bool) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		ok := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (colon && c == ':') || (i > 0 && c >= '0' && c <= '9')
		if !ok {
			return false
		}
	}
	return true
}

// Collector is a counter, gauge or histogram, with or without labels,
// that a Registry can hold.
type Collector interface {
	describe() *desc
	collect(dst []Metric) []Metric
}

// Observer is what a histogram (or one of a HistogramVec's) is to the
// code that measures: something to observe values with.
type Observer interface {
	Observe(v float64)
}

// addFloat adds v to the float64 whose bits are in u.
func addFloat(u *atomic.Uint64, v float64) {
	for {
		old := u.Load()
		if u.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

// Counter is a value that only goes up.
type Counter struct {
	d      *desc
	values []string
	n      atomic.Uint64 // whole increments
	f      atomic.Uint64 // bits of the fractional rest
}

// NewCounter makes a counter.
func NewCounter(o CounterOpts) *Counter {
	return &Counter{d: newDesc(o.Namespace, o.Subsystem, o.Name, o.Help, CounterType, nil)}
}

// Inc adds 1.
func (c *Counter) Inc() { c.n.Add(1) }

// Add adds v, which must not be negative (it panics).
func (c *Counter) Add(v float64) {
	if v < 0 {
		panic("metric: counter " + c.d.name + " cannot decrease")
	}
	if u := uint64(v); float64(u) == v {
		c.n.Add(u)
		return
	}
	addFloat(&c.f, v)
}

// Value returns the count.
func (c *Counter) Value() float64 {
	return float64(c.n.Load()) + math.Float64frombits(c.f.Load())
}

func (c *Counter) describe() *desc { return c.d }

func (c *Counter) collect(dst []Metric) []Metric {
	return append(dst, Metric{Labels: c.d.labelPairs(c.values), Value: c.Value()})
}

// Gauge is a value that goes up and down.
type Gauge struct {
	d      *desc
	values []string
	bits   atomic.Uint64
}

// NewGauge makes a gauge.
func NewGauge(o GaugeOpts) *Gauge {
	return &Gauge{d: newDesc(o.Namespace, o.Subsystem, o.Name, o.Help, GaugeType, nil)}
}

// Set sets the gauge to v.
func (g *Gauge) Set(v float64) { g.bits.Store(math.Float64bits(v)) }

// Add adds v (which may be negative).
func (g *Gauge) Add(v float64) { addFloat(&g.bits, v) }

// Sub subtracts v.
func (g *Gauge) Sub(v float64) { addFloat(&g.bits, -v) }

// Inc adds 1.
func (g *Gauge) Inc() { g.Add(1) }

// Dec subtracts 1.
func (g *Gauge) Dec() { g.Add(-1) }

// Value returns the gauge's value.
func (g *Gauge) Value() float64 { return math.Float64frombits(g.bits.Load()) }

func (g *Gauge) describe() *desc { return g.d }

func (g *Gauge) collect(dst []Metric) []Metric {
	return append(dst, Metric{Labels: g.d.labelPairs(g.values), Value: g.Value()})
}

// Histogram counts observations in buckets by upper bound.
type Histogram struct {
	d      *desc
	values []string
	upper  []float64       // the buckets' upper bounds, +Inf left out
	counts []atomic.Uint64 // per bucket, not cumulative; the last is +Inf
	sum    atomic.Uint64   // bits
}

// NewHistogram makes a histogram.
func NewHistogram(o HistogramOpts) *Histogram {
	return newHistogram(newDesc(o.Namespace, o.Subsystem, o.Name, o.Help, HistogramType, nil), checkBuckets(o.Buckets), nil)
}

func newHistogram(d *desc, upper []float64, values []string) *Histogram {
	return &Histogram{d: d, values: values, upper: upper, counts: make([]atomic.Uint64, len(upper)+1)}
}

// checkBuckets returns the bounds to use for b: DefBuckets for none, a
// last +Inf dropped; it panics unless they increase.
func checkBuckets(b []float64) []float64 {
	if len(b) == 0 {
		b = DefBuckets
	}
	if math.IsInf(b[len(b)-1], +1) {
		b = b[:len(b)-1]
	}
	for i := 1; i < len(b); i++ {
		if !(b[i] > b[i-1]) {
			panic(fmt.Sprintf("metric: histogram buckets must increase: %v", b))
		}
	}
	return slices.Clone(b)
}

// Observe counts v in the first bucket whose upper bound is ≥ v.
func (h *Histogram) Observe(v float64) {
	lo, hi := 0, len(h.upper)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if h.upper[m] < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	h.counts[lo].Add(1)
	addFloat(&h.sum, v)
}

// Count returns the number of observations.
func (h *Histogram) Count() uint64 {
	var n uint64
	for i := range h.counts {
		n += h.counts[i].Load()
	}
	return n
}

func (h *Histogram) describe() *desc { return h.d }

// Snapshot returns the histogram's buckets (cumulative), count and sum.
func (h *Histogram) Snapshot() Metric { return h.collect(nil)[0] }

func (h *Histogram) collect(dst []Metric) []Metric {
	m := Metric{Labels: h.d.labelPairs(h.values), Buckets: make([]Bucket, len(h.upper))}
	for i, u := range h.upper {
		m.Count += h.counts[i].Load()
		m.Buckets[i] = Bucket{UpperBound: u, Count: m.Count}
	}
	m.Count += h.counts[len(h.upper)].Load()
	m.Sum = math.Float64frombits(h.sum.Load())
	return append(dst, m)
}

// vec holds the children of a family with labels, one per combination of
// label values, found by a hash of the values without allocating.
type vec[T Collector] struct {
	d     *desc
	make  func(values []string) T
	mu    sync.RWMutex
	byKey map[uint64][]child[T]
}

type child[T any] struct {
	values []string
	c      T
}

func newVec[T Collector](d *desc, mk func([]string) T) *vec[T] {
	return &vec[T]{d: d, make: mk, byKey: map[uint64][]child[T]{}}
}

// hashValues is FNV-1a over the values, each followed by a 0xff byte
// (which UTF-8 text never holds).
func hashValues(values []string) uint64 {
	h := uint64(14695981039346656037)
	for _, v := range values {
		for i := 0; i < len(v); i++ {
			h ^= uint64(v[i])
			h *= 1099511628211
		}
		h ^= 0xff
		h *= 1099511628211
	}
	return h
}

// with returns the child for values (in declared label order), made on
// first use. It panics if the count of values is not the count of labels;
// values that are not valid UTF-8 are stored with U+FFFD in their place.
func (v *vec[T]) with(values []string) T {
	if len(values) != len(v.d.labels) {
		panic(fmt.Sprintf("metric: %s has %d labels, got %d values", v.d.name, len(v.d.labels), len(values)))
	}
	k := hashValues(values)
	v.mu.RLock()
	for _, c := range v.byKey[k] {
		if slices.Equal(c.values, values) {
			v.mu.RUnlock()
			return c.c
		}
	}
	v.mu.RUnlock()
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, c := range v.byKey[k] {
		if slices.Equal(c.values, values) {
			return c.c
		}
	}
	key := slices.Clone(values)
	own := key
	for i, s := range key {
		if !utf8.ValidString(s) {
			if &own[0] == &key[0] {
				own = slices.Clone(key)
			}
			own[i] = strings.ToValidUTF8(s, "\uFFFD")
		}
	}
	c := v.make(own)
	v.byKey[k] = append(v.byKey[k], child[T]{values: key, c: c})
	return c
}

func (v *vec[T]) describe() *desc { return v.d }

func (v *vec[T]) collect(dst []Metric) []Metric {
	v.mu.RLock()
	defer v.mu.RUnlock()
	for _, cs := range v.byKey {
		for _, c := range cs {
			dst = c.c.collect(dst)
		}
	}
	return dst
}

// CounterVec is a family of counters by label values.
type CounterVec struct{ *vec[*Counter] }

// NewCounterVec makes a family of counters with the given label names.
func NewCounterVec(o CounterOpts, labels []string) *CounterVec {
	d := newDesc(o.Namespace, o.Subsystem, o.Name, o.Help, CounterType, labels)
	return &CounterVec{newVec(d, func(values []string) *Counter { return &Counter{d: d, values: values} })}
}

// WithLabelValues returns the counter for the label values, in the order
// the labels were given to NewCounterVec.
func (v *CounterVec) WithLabelValues(values ...string) *Counter { return v.with(values) }

// GaugeVec is a family of gauges by label values.
type GaugeVec struct{ *vec[*Gauge] }

// NewGaugeVec makes a family of gauges with the given label names.
func NewGaugeVec(o GaugeOpts, labels []string) *GaugeVec {
	d := newDesc(o.Namespace, o.Subsystem, o.Name, o.Help, GaugeType, labels)
	return &GaugeVec{newVec(d, func(values []string) *Gauge { return &Gauge{d: d, values: values} })}
}

// WithLabelValues returns the gauge for the label values.
func (v *GaugeVec) WithLabelValues(values ...string) *Gauge { return v.with(values) }

// HistogramVec is a family of histograms by label values, all with the
// same buckets.
type HistogramVec struct{ *vec[*Histogram] }

// NewHistogramVec makes a family of histograms with the given label names.
func NewHistogramVec(o HistogramOpts, labels []string) *HistogramVec {
	d := newDesc(o.Namespace, o.Subsystem, o.Name, o.Help, HistogramType, labels)
	upper := checkBuckets(o.Buckets)
	return &HistogramVec{newVec(d, func(values []string) *Histogram { return newHistogram(d, upper, values) })}
}

// WithLabelValues returns the histogram for the label values.
func (v *HistogramVec) WithLabelValues(values ...string) *Histogram { return v.with(values) }
