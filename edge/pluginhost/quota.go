package pluginhost

import (
	"sync"
	"time"
)

// TenantUsage is what a tenant used in the current minute.
type TenantUsage struct {
	// CPU is guest run time (plugins/ABI.md section 7).
	CPU time.Duration
	// HTTPCalls counts http_request calls.
	HTTPCalls int
	// Refused counts calls refused for quota.
	Refused int
}

// quotas enforces per-tenant per-minute budgets in fixed one-minute windows.
type quotas struct {
	def     Quota
	tenants map[string]Quota
	now     func() time.Time

	mu     sync.Mutex
	window int64 // unix minute of the counters
	used   map[string]*TenantUsage
}

func newQuotas(def Quota, tenants map[string]Quota) *quotas {
	return &quotas{def: def, tenants: tenants, now: time.Now, used: map[string]*TenantUsage{}}
}

func (q *quotas) quota(tenant string) Quota {
	if t, ok := q.tenants[tenant]; ok {
		return t
	}
	return q.def
}

// usage returns the tenant's counters for this minute; q.mu is held.
func (q *quotas) usage(tenant string) *TenantUsage {
	if w := q.now().Unix() / 60; w != q.window {
		q.window = w
		clear(q.used)
	}
	u := q.used[tenant]
	if u == nil {
		u = &TenantUsage{}
		q.used[tenant] = u
	}
	return u
}

// cpuLeft returns the guest time the tenant may still use this minute; ok
// is false when it is spent. unlimited is true when no CPU quota applies.
func (q *quotas) cpuLeft(tenant string) (left time.Duration, ok, unlimited bool) {
	limit := time.Duration(q.quota(tenant).CPUPerMinute)
	if limit <= 0 {
		return 0, true, true
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	u := q.usage(tenant)
	left = limit - u.CPU
	if left <= 0 {
		u.Refused++
		return 0, false, false
	}
	return left, true, false
}

// addCPU charges d of guest time.
func (q *quotas) addCPU(tenant string, d time.Duration) {
	if q.quota(tenant).CPUPerMinute <= 0 && q.def.CPUPerMinute <= 0 && len(q.tenants) == 0 {
		return // nothing to account for
	}
	q.mu.Lock()
	q.usage(tenant).CPU += d
	q.mu.Unlock()
}

// takeHTTP counts one HTTP call; false when the quota is spent.
func (q *quotas) takeHTTP(tenant string) bool {
	limit := q.quota(tenant).HTTPCallsPerMinute
	q.mu.Lock()
	defer q.mu.Unlock()
	u := q.usage(tenant)
	if limit > 0 && u.HTTPCalls >= limit {
		u.Refused++
		return false
	}
	u.HTTPCalls++
	return true
}

func (q *quotas) snapshot(tenant string) TenantUsage {
	q.mu.Lock()
	defer q.mu.Unlock()
	return *q.usage(tenant)
}
