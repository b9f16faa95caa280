package metric

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Family is one metric family as gathered: its name, help, type and
// series, sorted by label values.
type Family struct {
	Name    string
	Help    string
	Type    Type
	Metrics []Metric
}

// Metric is one series of a family (for a histogram, its _bucket, _sum and
// _count series; for a summary, its quantiles, _sum and _count).
type Metric struct {
	Labels    []Label    // sorted by name
	Value     float64    // counter, gauge
	Count     uint64     // histogram, summary
	Sum       float64    // histogram, summary
	Buckets   []Bucket   // histogram, cumulative; +Inf (Count) left out
	Quantiles []Quantile // summary
}

// Label is a label's name and value.
type Label struct{ Name, Value string }

// Bucket is a histogram bucket: the observations ≤ UpperBound.
type Bucket struct {
	UpperBound float64
	Count      uint64
}

// Quantile is a summary's quantile and its value.
type Quantile struct{ Quantile, Value float64 }

// Registerer is what takes collectors: a *Registry.
type Registerer interface {
	Register(Collector) error
}

// Gatherer is what Handler serves: a *Registry, or Runtime.
type Gatherer interface {
	Gather() []Family
}

// AlreadyRegisteredError is Register's error for a collector of the same
// name, help, type and labels as one registered before; that one is
// ExistingCollector, for the caller to use instead.
type AlreadyRegisteredError struct {
	ExistingCollector Collector
	NewCollector      Collector
}

func (e AlreadyRegisteredError) Error() string {
	return "metric: " + e.NewCollector.describe().name + " is already registered"
}

// Registry holds collectors by name.
type Registry struct {
	mu     sync.Mutex
	byName map[string]Collector
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{byName: map[string]Collector{}} }

// Register adds c. A collector registered under the same name before is
// an AlreadyRegisteredError if it describes the same family, otherwise an
// error.
func (r *Registry) Register(c Collector) error {
	d := c.describe()
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, ok := r.byName[d.name]; ok {
		if prev.describe().same(d) {
			return AlreadyRegisteredError{ExistingCollector: prev, NewCollector: c}
		}
		return fmt.Errorf("metric: %s is already registered with another help, type or labels", d.name)
	}
	r.byName[d.name] = c
	return nil
}

// Shared registers c on reg and returns it, or returns the collector reg
// already holds for the same family (several hosts, edges or services in
// one process share their metrics). A nil reg leaves c unregistered. The
// error is Register's for a name taken by another family.
func Shared[C Collector](reg Registerer, c C) (C, error) {
	if reg == nil {
		return c, nil
	}
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	if are, ok := errors.AsType[AlreadyRegisteredError](err); ok {
		if prev, ok := are.ExistingCollector.(C); ok {
			return prev, nil
		}
	}
	return c, err
}

// MustShare is Shared for a collector whose family no other may take: it
// panics on Shared's error (two families under one name is a programming
// error, found by the first test that builds both).
func MustShare[C Collector](reg Registerer, c C) C {
	c, err := Shared(reg, c)
	if err != nil {
		panic("metric: register: " + err.Error())
	}
	return c
}

// MustRegister registers each collector and panics on an error.
func (r *Registry) MustRegister(cs ...Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// Gather returns the registry's families, sorted by name, each with its
// series sorted by label values; a family with labels that has no series
// yet is left out.
func (r *Registry) Gather() []Family {
	r.mu.Lock()
	cs := make([]Collector, 0, len(r.byName))
	for _, c := range r.byName {
		cs = append(cs, c)
	}
	r.mu.Unlock()
	out := make([]Family, 0, len(cs))
	for _, c := range cs {
		d := c.describe()
		ms := c.collect(nil)
		if len(ms) == 0 {
			continue
		}
		out = append(out, Family{Name: d.name, Help: d.help, Type: d.typ, Metrics: ms})
	}
	sortFamilies(out)
	return out
}

// Gatherers is several gatherers as one: their families merged by name
// (series of families that share a name and type are joined).
type Gatherers []Gatherer

// Gather gathers every gatherer and merges their families.
func (gs Gatherers) Gather() []Family {
	var all []Family
	for _, g := range gs {
		if g != nil {
			all = append(all, g.Gather()...)
		}
	}
	sortFamilies(all)
	out := all[:0]
	for _, f := range all {
		if n := len(out); n > 0 && out[n-1].Name == f.Name {
			if out[n-1].Type == f.Type {
				out[n-1].Metrics = append(out[n-1].Metrics, f.Metrics...)
				sortMetrics(out[n-1].Metrics)
			}
			continue
		}
		out = append(out, f)
	}
	return out
}

func sortFamilies(fs []Family) {
	slices.SortStableFunc(fs, func(a, b Family) int { return strings.Compare(a.Name, b.Name) })
	for i := range fs {
		sortMetrics(fs[i].Metrics)
	}
}

// sortMetrics orders a family's series by their label values (the labels
// sorted by name, so the same names in the same order throughout).
func sortMetrics(ms []Metric) {
	slices.SortStableFunc(ms, func(a, b Metric) int {
		for i := range min(len(a.Labels), len(b.Labels)) {
			if c := strings.Compare(a.Labels[i].Name, b.Labels[i].Name); c != 0 {
				return c
			}
			if c := strings.Compare(a.Labels[i].Value, b.Labels[i].Value); c != 0 {
				return c
			}
		}
		return cmp.Compare(len(a.Labels), len(b.Labels))
	})
}
