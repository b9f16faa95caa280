// Package fdlimit keeps a server alive at the edge of its file-descriptor
// budget: Listener retries failed accepts with a backoff instead of ending
// the serve loop (fasthttp treats `accept4: too many open files` as fatal
// and returns, which ends the process and drops every shopper), and
// ConnCap derives a connection cap from RLIMIT_NOFILE that leaves headroom
// for everything else the process opens (NATS, the database, plugin files,
// short HTTP requests), so that shoppers past the cap get a clean 503
// before the process runs out.
package fdlimit

import (
	"errors"
	"log/slog"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// NoFile returns the soft RLIMIT_NOFILE of the process (Go raises it to
// the hard limit at start on Linux), or 0 when it cannot be read.
func NoFile() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	if rl.Cur == ^uint64(0) { // RLIM_INFINITY
		return 1 << 30
	}
	return rl.Cur
}

// Headroom is how many descriptors ConnCap leaves for the rest of the
// process out of a limit of nofile: a tenth plus 64.
func Headroom(nofile uint64) uint64 { return nofile/10 + 64 }

// ConnCap returns the most long-lived connections the process should hold
// with a descriptor limit of nofile: nofile - Headroom(nofile), at least 1
// (0 when nofile is 0, i.e. unknown).
func ConnCap(nofile uint64) int {
	if nofile == 0 {
		return 0
	}
	h := Headroom(nofile)
	if nofile <= h {
		return 1
	}
	return int(min(nofile-h, 1<<30))
}

// Cap combines a configured cap with the one the descriptor limit allows:
// configured > 0 is kept when it is lower than derived; 0 or negative
// (no explicit cap) takes derived. derived 0 (unknown limit) keeps
// configured, where negative still means none (0 is returned).
func Cap(configured, derived int) int {
	switch {
	case derived <= 0 && configured <= 0:
		return 0
	case derived <= 0:
		return configured
	case configured > 0 && configured < derived:
		return configured
	default:
		return derived
	}
}

// Backoff bounds of Listener.Accept after a failure.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = time.Second
)

// Listener is a net.Listener whose Accept never fails for lack of
// resources: on any error other than the listener being closed it waits
// (5 ms, doubling to 1 s while the errors go on) and tries again, logging
// at most once a second. Failures counts them.
type Listener struct {
	net.Listener
	log      *slog.Logger
	onError  func()
	failures atomic.Int64
	closed   atomic.Bool
	sleep    func(time.Duration) // tests
}

// Wrap returns ln as a Listener. onError, when not nil, runs once per
// failed accept (a metric); log receives rate-limited warnings (nil: slog.Default()).
func Wrap(ln net.Listener, log *slog.Logger, onError func()) *Listener {
	if log == nil {
		log = slog.Default()
	}
	return &Listener{Listener: ln, log: log, onError: onError, sleep: time.Sleep}
}

// Failures returns how many accepts failed and were retried.
func (l *Listener) Failures() int64 { return l.failures.Load() }

// Close closes the listener; a blocked or backing-off Accept returns
// net.ErrClosed.
func (l *Listener) Close() error {
	l.closed.Store(true)
	return l.Listener.Close()
}

// Accept waits for the next connection; it returns an error only once the
// listener is closed.
func (l *Listener) Accept() (net.Conn, error) {
	delay := time.Duration(0)
	var lastLog time.Time
	for {
		c, err := l.Listener.Accept()
		if err == nil {
			return c, nil
		}
		if l.closed.Load() || errors.Is(err, net.ErrClosed) {
			return nil, err
		}
		l.failures.Add(1)
		if l.onError != nil {
			l.onError()
		}
		delay = min(max(2*delay, minBackoff), maxBackoff)
		if now := time.Now(); now.Sub(lastLog) >= time.Second {
			lastLog = now
			l.log.Warn("accept failed; backing off and retrying (connections already open are unaffected)",
				"err", err, "retry_in", delay, "nofile", NoFile(), "emfile", errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE))
		}
		l.sleep(delay)
	}
}
