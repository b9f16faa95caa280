package edge

import (
	"sync"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
)

// localConnIP is the Fiber local under which the connection guard hands the
// admitted client address to the WebSocket handler, which releases it.
const localConnIP = "kefu.connip"

// connLimiter counts open WebSocket connections, in all and per client IP,
// so one address (a script, a scraper) cannot take every socket of the
// edge. Shoppers behind one NAT share an address: the per-IP cap is set
// high by default and is configurable.
type connLimiter struct {
	mu    sync.Mutex
	total int
	perIP map[string]int
	max   int // 0: unlimited
	maxIP int // 0: unlimited
}

func newConnLimiter(max, maxIP int) *connLimiter {
	return &connLimiter{perIP: make(map[string]int), max: max, maxIP: maxIP}
}

// acquire admits one more connection from ip, or says which cap refused it.
func (l *connLimiter) acquire(ip string) (ok bool, code, reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max > 0 && l.total >= l.max {
		return false, "edge_full", "this edge is at its connection limit; retry later or another edge"
	}
	if l.maxIP > 0 && l.perIP[ip] >= l.maxIP {
		return false, "too_many_connections", "too many open connections from this address"
	}
	l.total++
	l.perIP[ip]++
	return true, "", ""
}

// release gives back a connection admitted for ip.
func (l *connLimiter) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.perIP[ip] <= 1 {
		delete(l.perIP, ip)
		return
	}
	l.perIP[ip]--
}

// admitConn is the route guard of /ws that applies the connection caps
// before the upgrade: 503 when the edge is full, 429 for one address over
// its cap, each with a Retry-After and a JSON reason.
func (n *Node) admitConn(c *fiber.Ctx) error {
	ip := c.IP()
	if n.heap != nil && n.heap.over.Load() {
		n.m.errors.WithLabelValues("edge_full_memory").Inc()
		c.Set(fiber.HeaderRetryAfter, "5")
		return jsonError(c, fiber.StatusServiceUnavailable, "edge_full", "this edge is at its memory limit; retry later or another edge")
	}
	ok, code, reason := n.limits.acquire(ip)
	if !ok {
		n.m.errors.WithLabelValues(code).Inc()
		c.Set(fiber.HeaderRetryAfter, "5")
		status := fiber.StatusTooManyRequests
		if code == "edge_full" {
			status = fiber.StatusServiceUnavailable
		}
		return jsonError(c, status, code, reason)
	}
	c.Locals(localConnIP, ip)
	err := c.Next()
	if c.Response().StatusCode() != fiber.StatusSwitchingProtocols {
		n.limits.release(ip) // the upgrade failed: no handler will release it
	}
	return err
}

// serveLimited serves one admitted WebSocket connection and gives its slot
// back when it ends.
func (n *Node) serveLimited(c *websocket.Conn) {
	if ip, ok := c.Locals(localConnIP).(string); ok {
		defer n.limits.release(ip)
	}
	n.serveWS(c)
}
