package central

import (
	"math"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Login throttling (issue 8 item 12). Every attempt costs a token of the
// client address's bucket; every failed attempt also costs a token of the
// account's bucket (tenant and e-mail, whether or not the account exists,
// so that the limit does not tell which accounts exist). An empty bucket
// answers 429 with Retry-After before any password is compared. Buckets are
// per central replica (in memory): behind N replicas an attacker gets at
// most N times the rate.
const (
	loginAddrBurst    = 20               // attempts from one address in a burst
	loginAddrEvery    = 3 * time.Second  // then one more per interval (20 a minute)
	loginAccountBurst = 10               // failed attempts on one account in a burst
	loginAccountEvery = 30 * time.Second // then one more per interval (2 a minute)
	loginGuardMax     = 100_000          // buckets kept; full ones are dropped first
)

// loginGuard holds the login buckets; safe for concurrent use.
type loginGuard struct {
	mu      sync.Mutex
	addr    bucketSet
	account bucketSet
	now     func() time.Time // the clock (tests freeze it)
}

func newLoginGuard() *loginGuard {
	return &loginGuard{now: time.Now,
		addr:    bucketSet{burst: loginAddrBurst, every: loginAddrEvery, m: map[string]*bucket{}},
		account: bucketSet{burst: loginAccountBurst, every: loginAccountEvery, m: map[string]*bucket{}},
	}
}

// accountKey names an account's bucket.
func accountKey(tenant, email string) string {
	return tenant + "\x00" + strings.ToLower(strings.TrimSpace(email))
}

// attempt takes one token from addr's bucket; when either bucket is empty it
// returns how long to wait (and takes nothing).
func (g *loginGuard) attempt(addr, account string, now time.Time) (wait time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if w := g.account.wait(account, now); w > 0 {
		return w
	}
	if w := g.addr.wait(addr, now); w > 0 {
		return w
	}
	g.addr.take(addr, now)
	return 0
}

// failed takes one token from the account's bucket.
func (g *loginGuard) failed(account string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.account.take(account, now)
}

type bucket struct {
	tokens float64
	last   time.Time
}

type bucketSet struct {
	burst int
	every time.Duration
	m     map[string]*bucket
}

func (s *bucketSet) refill(k string, now time.Time) *bucket {
	b := s.m[k]
	if b == nil {
		if len(s.m) >= loginGuardMax {
			s.prune(now)
		}
		b = &bucket{tokens: float64(s.burst), last: now}
		s.m[k] = b
		return b
	}
	b.tokens = math.Min(float64(s.burst), b.tokens+float64(now.Sub(b.last))/float64(s.every))
	b.last = now
	return b
}

// wait is how long until k has a token (0: it has one now).
func (s *bucketSet) wait(k string, now time.Time) time.Duration {
	b := s.refill(k, now)
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) * float64(s.every))
}

func (s *bucketSet) take(k string, now time.Time) {
	if b := s.refill(k, now); b.tokens >= 1 {
		b.tokens--
	} else {
		b.tokens = 0
	}
}

// prune drops the buckets that have refilled (they hold nothing), and if
// none has, the map (an attack from very many addresses).
func (s *bucketSet) prune(now time.Time) {
	for k, b := range s.m {
		if b.tokens+float64(now.Sub(b.last))/float64(s.every) >= float64(s.burst) {
			delete(s.m, k)
		}
	}
	if len(s.m) >= loginGuardMax {
		clear(s.m)
	}
}

// dummyHashFor returns a hash of a random-looking password at cost, made
// once per cost: comparing an unknown account's password against it costs
// what comparing a real account's does (accounts are hashed at
// Config.BcryptCost), so the answer time does not tell which accounts
// exist.
func dummyHashFor(cost int) []byte {
	dummyMu.Lock()
	defer dummyMu.Unlock()
	if h, ok := dummyHashes[cost]; ok {
		return h
	}
	h, err := bcrypt.GenerateFromPassword([]byte("kefu-dummy-password-never-valid"), cost)
	if err != nil { // cost out of range: the default cost
		h, _ = bcrypt.GenerateFromPassword([]byte("kefu-dummy-password-never-valid"), bcrypt.DefaultCost)
	}
	dummyHashes[cost] = h
	return h
}

var (
	dummyMu     sync.Mutex
	dummyHashes = map[int][]byte{}
)
